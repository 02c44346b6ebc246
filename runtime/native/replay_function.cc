// The function body `hearth replay` deploys for every function of a trace (one shared object, one
// action per function): like vHive invitro's trace functions, it runs for a given time and holds a given
// memory. Arguments (JSON object, all optional):
//   "us":  run time in microseconds on CLOCK_MONOTONIC, from the moment the memory below is held;
//   "cpu": share of that time spent spinning on the CPU (0..1); the rest is slept (nanosleep to the end);
//   "mb":  memory to hold: the container keeps one buffer of the largest size any call asked for and
//          populates and writes one byte per 4 KB page of it when it grows (the old one freed first), so a container holds its function's memory
//          from its first call on, as a real one holds its heap (a warm call does not pay the page faults).
// Returns {"us": elapsed microseconds after the memory was held, "mb": MB held, "hold_us": time spent
// growing and touching the memory in this call (0 once the container holds it)}. `hearth replay` counts
// hold_us as part of the cold start's init: a real function builds its heap while it initialises.
#include <sys/mman.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

long long now_us() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<long long>(t.tv_sec) * 1'000'000 + t.tv_nsec / 1000;
}

// The number after "key": in a flat JSON object, or `fallback`.
double number(const char* json, const char* key, double fallback) {
  char quoted[16];
  std::snprintf(quoted, sizeof quoted, "\"%s\"", key);
  const char* at = std::strstr(json, quoted);
  if (!at) return fallback;
  at = std::strchr(at + std::strlen(quoted), ':');
  if (!at) return fallback;
  char* end = nullptr;
  const double v = std::strtod(at + 1, &end);
  return end == at + 1 ? fallback : v;
}

char* g_memory = nullptr;
long long g_memory_mb = 0;

// Grows the held buffer to `mb` MB and touches every page of it; false if the memory is not there.
bool hold(long long mb) {
  if (mb <= g_memory_mb) return true;
  if (g_memory) munmap(g_memory, static_cast<std::size_t>(g_memory_mb) << 20);  // first: never hold both
  g_memory = nullptr;
  g_memory_mb = 0;
  const std::size_t bytes = static_cast<std::size_t>(mb) << 20;
  // MAP_POPULATE faults every page in at once (far cheaper than one fault per page); then write one
  // byte per page so the pages are private and dirty, as a heap's are.
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) return false;
  for (std::size_t i = 0; i < bytes; i += 4096) static_cast<char*>(p)[i] = 1;
  g_memory = static_cast<char*>(p);
  g_memory_mb = mb;
  return true;
}

}  // namespace

extern "C" long hearth_main(const char* args_json, char* out, unsigned long out_capacity) {
  const long long entry = now_us();
  const double us = number(args_json, "us", 0);
  const double cpu = number(args_json, "cpu", 0);
  const double mb = number(args_json, "mb", 0);
  if (us < 0 || cpu < 0 || cpu > 1 || mb < 0) {
    std::snprintf(out, out_capacity, "replay function: bad arguments %s (us >= 0, 0 <= cpu <= 1, mb >= 0)", args_json);
    return -1;
  }
  if (!hold(static_cast<long long>(mb))) {
    std::snprintf(out, out_capacity, "replay function: cannot hold %.0f MB", mb);
    return -1;
  }
  const long long start = now_us();
  const long long end = start + static_cast<long long>(us);
  const long long spin_end = start + static_cast<long long>(us * cpu);
  volatile unsigned long sink = 0;
  while (now_us() < spin_end)
    for (int i = 0; i < 1000; ++i) sink = sink + static_cast<unsigned long>(i);
  for (long long left = end - now_us(); left > 0; left = end - now_us()) {
    timespec t{static_cast<time_t>(left / 1'000'000), static_cast<long>(left % 1'000'000) * 1000};
    nanosleep(&t, nullptr);
  }
  const int n = std::snprintf(out, out_capacity, "{\"us\":%lld,\"mb\":%lld,\"hold_us\":%lld}", now_us() - start,
                              g_memory_mb, start - entry);
  return n < 0 || static_cast<unsigned long>(n) >= out_capacity ? -1 : n;
}
