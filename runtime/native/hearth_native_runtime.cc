// hearth-native-runtime: the persistent runtime for native functions. A native function is a shared
// object exporting the C ABI
//     extern "C" long hearth_main(const char* args_json, char* out, unsigned long out_capacity);
// which writes a JSON object into `out` and returns its length, or returns a negative number with an
// error message in `out`. Same framed protocol as the Python and Node runtimes (fd 3 in, fd 4 out);
// the function's stdout/stderr during a run go to a memfd and come back as the activation's logs.
// Workers: {"op":"workers","count":k} on channel 0 (after init) forks children serving channels 1..k
// (fds 3+2i / 4+2i) with the library already loaded; each opens its own log memfd. The parent then only
// answers control requests.
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
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

void write_frame(int fd, const json& j) {
  const std::string data = j.dump(-1, ' ', false, json::error_handler_t::replace);
  const std::uint32_t n = static_cast<std::uint32_t>(data.size());
  std::string frame(reinterpret_cast<const char*>(&n), 4);
  frame += data;
  const char* p = frame.data();
  std::size_t left = frame.size();
  while (left) {
    const ssize_t w = ::write(fd, p, left);
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

// The function's stdout/stderr go to one memfd per process for its whole life (nothing else writes
// there); each run starts it empty, so a run costs no fd juggling. Returns the memfd, or -1.
int capture_output() {
  const int logs = memfd_create("hearth-logs", 0);
  if (logs < 0 || dup2(logs, 1) < 0 || dup2(logs, 2) < 0) return -1;
  return logs;
}

int serve(int in, int out_fd, HearthMain entry, int logs);

// How many channels the platform opened (fd pairs 3 + 2i / 4 + 2i), counted before anything else opens.
int g_channels = 0;
int open_channels() {
  int channels = 0;
  while (fcntl(3 + 2 * channels, F_GETFD) >= 0 && fcntl(4 + 2 * channels, F_GETFD) >= 0) ++channels;
  return channels;
}

// Forks workers for channels served.size()+1 .. count (SIGCHLD ignored: the kernel reaps them). Each
// channel's ends live in its worker alone (the worker closes every other channel, the parent closes the
// worker's), so a worker that dies is EOF on its channel at once: a crash, not a timeout.
bool fork_workers(int count, std::vector<pid_t>& served, HearthMain entry) {
  signal(SIGCHLD, SIG_IGN);
  for (int channel = static_cast<int>(served.size()) + 1; channel <= count; ++channel) {
    const pid_t pid = fork();
    if (pid < 0) return false;
    if (pid == 0) {
      signal(SIGCHLD, SIG_DFL);  // the function's own children report their status
      for (int other = 0; other < g_channels; ++other) {
        if (other == channel) continue;
        close(3 + 2 * other);  // EBADF for channels already handed to earlier workers: harmless
        close(4 + 2 * other);
      }
      const int logs = capture_output();
      _exit(logs < 0 ? 1 : serve(3 + 2 * channel, 4 + 2 * channel, entry, logs));
    }
    served.push_back(pid);
    if (channel < g_channels) {
      close(3 + 2 * channel);
      close(4 + 2 * channel);
    }
  }
  return true;
}

int serve(int in, int out_fd, HearthMain entry, int logs) {
  std::vector<char> out(kResultCapacity);
  std::vector<pid_t> served;  // workers, channel i at index i - 1
  while (true) {
    std::uint32_t n = 0;
    if (!read_all(in, &n, 4)) return 0;
    std::string body(n, '\0');
    if (!read_all(in, body.data(), n)) return 0;
    const json req = json::parse(body, nullptr, false);
    const std::string op = req.is_object() ? req.value("op", "") : "";
    if (op == "workers" && in == 3) {
      const int count = req.contains("count") && req["count"].is_number_integer() ? req["count"].get<int>() : 0;
      if (!entry || count < 1) {
        write_frame(out_fd, {{"ok", false}, {"error", "workers needs a successful init and a count >= 1"}});
      } else if (!fork_workers(count, served, entry)) {
        write_frame(out_fd, {{"ok", false}, {"error", std::string("cannot start workers: ") + std::strerror(errno)}});
      } else {
        write_frame(out_fd, {{"ok", true}, {"workers", std::max<int>(count, static_cast<int>(served.size()))}});
      }
    } else if (op == "init") {
      void* lib = dlopen(req.value("path", "").c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!lib) {
        write_frame(out_fd, {{"ok", false}, {"error", std::string("dlopen: ") + dlerror()}});
        continue;
      }
      const std::string name = req.value("main", "main") == "main" ? "hearth_main" : req.value("main", "");
      entry = reinterpret_cast<HearthMain>(dlsym(lib, name.c_str()));
      if (!entry) {
        write_frame(out_fd, {{"ok", false}, {"error", "the library exports no function '" + name + "'"}});
        continue;
      }
      write_frame(out_fd, {{"ok", true}});
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
      write_frame(out_fd, reply);
    } else {
      write_frame(out_fd, {{"ok", false}, {"error", entry ? "unknown op '" + op + "'" : "run before a successful init"}});
    }
  }
}

}  // namespace

int main() {
  g_channels = open_channels();
  const int logs = capture_output();
  if (logs < 0) return 1;
  return serve(3, 4, nullptr, logs);
}
