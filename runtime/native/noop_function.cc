// Example native function: returns its arguments (a no-op echo), writing one log line.
// Build: part of the CMake project (target hearth_native_noop, a shared object).
#include <cstdio>
#include <cstring>

extern "C" long hearth_main(const char* args_json, char* out, unsigned long out_capacity) {
  const unsigned long n = std::strlen(args_json);
  if (std::strstr(args_json, "\"log\"")) std::printf("native noop called\n");
  if (std::strstr(args_json, "\"crash\"")) __builtin_trap();
  if (n + 1 > out_capacity) {
    std::snprintf(out, out_capacity, "result too large");
    return -1;
  }
  std::memcpy(out, args_json, n + 1);
  return static_cast<long>(n);
}
