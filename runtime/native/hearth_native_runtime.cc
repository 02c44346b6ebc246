// hearth-native-runtime: the persistent runtime for native functions. A native function is a shared
// object exporting the C ABI
//     extern "C" long hearth_main(const char* args_json, char* out, unsigned long out_capacity);
// which writes a JSON object into `out` and returns its length, or returns a negative number with an
// error message in `out`. Same framed protocol as the Python and Node runtimes (fd 3 in, fd 4 out);
// the function's stdout/stderr during a run go to a memfd and come back as the activation's logs.
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace {

using nlohmann::json;
using HearthMain = long (*)(const char*, char*, unsigned long);

constexpr std::size_t kLogLimit = 64 * 1024;
constexpr std::size_t kResultCapacity = 8 << 20;

bool read_all(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n) {
    const ssize_t r = ::read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void write_frame(const json& j) {
  const std::string data = j.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::uint32_t n = static_cast<std::uint32_t>(data.size());
  std::string frame(reinterpret_cast<const char*>(&n), 4);
  frame += data;
  const char* p = frame.data();
  std::size_t left = frame.size();
  while (left) {
    const ssize_t w = ::write(4, p, left);
    if (w <= 0) _exit(1);
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

// The output written since the last reset_logs() (the memfd is fds 1 and 2, sharing one file offset).
std::vector<std::string> captured_logs(int fd) {
  const off_t size = lseek(fd, 0, SEEK_CUR);
  if (size <= 0) return {};
  std::string text(static_cast<std::size_t>(std::min<off_t>(size, kLogLimit)), '\0');
  if (pread(fd, text.data(), text.size(), 0) < 0) text.clear();
  if (size > static_cast<off_t>(kLogLimit)) text += "\n[hearth: logs truncated at 65536 bytes]";
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace

int main() {
  HearthMain entry = nullptr;
  std::vector<char> out(kResultCapacity);
  // The function's stdout/stderr go to one memfd for the runtime's whole life (nothing else writes
  // there); each run starts it empty, so a run costs no fd juggling.
  const int logs = memfd_create("hearth-logs", 0);
  if (logs < 0 || dup2(logs, 1) < 0 || dup2(logs, 2) < 0) return 1;
  while (true) {
    std::uint32_t n = 0;
    if (!read_all(3, &n, 4)) return 0;
    std::string body(n, '\0');
    if (!read_all(3, body.data(), n)) return 0;
    const json req = json::parse(body, nullptr, false);
    const std::string op = req.is_object() ? req.value("op", "") : "";
    if (op == "init") {
      void* lib = dlopen(req.value("path", "").c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!lib) {
        write_frame({{"ok", false}, {"error", std::string("dlopen: ") + dlerror()}});
        continue;
      }
      const std::string name = req.value("main", "main") == "main" ? "hearth_main" : req.value("main", "");
      entry = reinterpret_cast<HearthMain>(dlsym(lib, name.c_str()));
      if (!entry) {
        write_frame({{"ok", false}, {"error", "the library exports no function '" + name + "'"}});
        continue;
      }
      write_frame({{"ok", true}});
    } else if (op == "run" && entry) {
      const std::string args = req.contains("args") ? req["args"].dump() : "{}";
      if (lseek(logs, 0, SEEK_CUR) != 0) {  // the previous run wrote something
        lseek(logs, 0, SEEK_SET);
        if (ftruncate(logs, 0) != 0) return 1;
      }
      const long len = entry(args.c_str(), out.data(), out.size());
      fflush(stdout);
      fflush(stderr);
      json reply;
      if (len < 0) {
        reply = {{"ok", false}, {"error", std::string(out.data(), strnlen(out.data(), out.size()))}};
      } else {
        json result = json::parse(std::string(out.data(), static_cast<std::size_t>(std::min<long>(len, static_cast<long>(out.size())))),
                                  nullptr, false);
        reply = result.is_object() ? json{{"ok", true}, {"result", result}}
                                   : json{{"ok", false}, {"error", "hearth_main did not write a JSON object"}};
      }
      reply["logs"] = captured_logs(logs);
      write_frame(reply);
    } else {
      write_frame({{"ok", false}, {"error", entry ? "unknown op '" + op + "'" : "run before a successful init"}});
    }
  }
}
