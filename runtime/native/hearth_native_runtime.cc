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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using nlohmann::json;
using HearthMain = long (*)(const char*, char*, unsigned long);

constexpr std::size_t kLogLimit = 64 * 1024;
constexpr std::size_t kResultCapacity = 8 << 20;

// The request channel's frames: one read per request when it arrives whole (the platform writes each
// request with one writev), where a read of the header then one of the body cost two.
class FrameIn {
 public:
  // The next frame's payload (valid until the next call), or false at EOF or a read error.
  bool next(int fd, std::string_view* payload) {
    while (true) {
      std::uint32_t n = 0;
      if (end_ - start_ >= 4) {
        std::memcpy(&n, buf_.data() + start_, 4);
        if (end_ - start_ - 4 >= n) {
          *payload = std::string_view(buf_.data() + start_ + 4, n);
          start_ += 4 + static_cast<std::size_t>(n);
          return true;
        }
      }
      // Room for the rest of the frame (or of its header) after what is buffered, at the front.
      buf_.erase(0, start_);
      end_ -= start_;
      start_ = 0;
      buf_.resize(std::max({buf_.size(), std::size_t{64 * 1024}, 4 + static_cast<std::size_t>(n)}));
      const ssize_t r = ::read(fd, buf_.data() + end_, buf_.size() - end_);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) return false;
      end_ += static_cast<std::size_t>(r);
    }
  }

 private:
  std::string buf_;
  std::size_t start_ = 0, end_ = 0;
};

// Writes `frame` (its first 4 bytes reserved for the length, filled here) with one write.
void write_framed(int fd, std::string& frame) {
  const std::uint32_t n = static_cast<std::uint32_t>(frame.size() - 4);
  std::memcpy(frame.data(), &n, 4);
  const char* p = frame.data();
  std::size_t left = frame.size();
  while (left) {
    const ssize_t w = ::write(fd, p, left);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) _exit(1);
    p += w;
    left -= static_cast<std::size_t>(w);
  }
}

void write_frame(int fd, const json& j) {
  std::string frame(4, '\0');
  frame += j.dump(-1, ' ', false, json::error_handler_t::replace);
  write_framed(fd, frame);
}

// What the function wrote to the log memfd (fds 1 and 2, sharing one file offset) since it was last
// emptied, one entry per line, bounded at kLogLimit; the memfd is then emptied again. One lseek when
// nothing was written (the usual run), so output written between runs (a function's own thread) goes to
// the next run's logs.
std::vector<std::string> take_logs(int fd) {
  const off_t size = lseek(fd, 0, SEEK_CUR);
  if (size <= 0) return {};
  std::string text(static_cast<std::size_t>(std::min<off_t>(size, kLogLimit)), '\0');
  if (pread(fd, text.data(), text.size(), 0) < 0) text.clear();
  if (size > static_cast<off_t>(kLogLimit)) text += "\n[hearth: logs truncated at 65536 bytes]";
  if (lseek(fd, 0, SEEK_SET) != 0 || ftruncate(fd, 0) != 0) _exit(1);
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

// `text` is one JSON object (whitespace around it allowed), checked without building a DOM.
bool is_json_object(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && text[first] == '{' && json::accept(text);
}

// A run request as RuntimeProcess::run writes it, {"op":"run","args":ARGS}: ARGS (a JSON object) without a
// DOM; nullopt for anything else (then parsed whole).
constexpr std::string_view kRunPrefix = R"({"op":"run","args":)";
std::optional<std::string_view> run_args(std::string_view body) {
  if (!body.starts_with(kRunPrefix) || !body.ends_with('}')) return std::nullopt;
  const std::string_view args = body.substr(kRunPrefix.size(), body.size() - kRunPrefix.size() - 1);
  if (!is_json_object(args)) return std::nullopt;
  return args;
}

// Runs the function on `args` and writes its reply: {"ok":true,"result":R,"logs":[…]} with R the function's
// JSON object verbatim (checked, not re-dumped), or {"ok":false,"error":…,"logs":[…]}. `reply` is reused.
void run_and_reply(HearthMain entry, const std::string& args, std::vector<char>& out, int logs, int out_fd,
                   std::string& reply) {
  const long len = entry(args.c_str(), out.data(), out.size());
  fflush(stdout);
  fflush(stderr);
  reply.assign(4, '\0');  // the frame's length, filled by write_framed
  if (len < 0) {
    reply += R"({"ok":false,"error":)";
    reply += json(std::string(out.data(), strnlen(out.data(), out.size()))).dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    const std::string_view result(out.data(), static_cast<std::size_t>(std::min<long>(len, static_cast<long>(out.size()))));
    if (is_json_object(result)) {
      reply += R"({"ok":true,"result":)";
      reply += result;
    } else {
      reply += R"({"ok":false,"error":"hearth_main did not write a JSON object")";
    }
  }
  reply += R"(,"logs":)";
  reply += json(take_logs(logs)).dump(-1, ' ', false, json::error_handler_t::replace);
  reply += '}';
  write_framed(out_fd, reply);
  if (reply.capacity() > (1u << 20)) std::string().swap(reply);  // a large result's buffer is not kept
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
  FrameIn frames;
  std::string args, reply;
  std::string_view body;
  while (true) {
    if (!frames.next(in, &body)) return 0;
    if (entry) {
      if (const auto fast = run_args(body)) {  // the warm path: no DOM of the request or the reply
        args.assign(*fast);
        run_and_reply(entry, args, out, logs, out_fd, reply);
        continue;
      }
    }
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
      take_logs(logs);  // what the library wrote while loading belongs to no run
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
      args = req.contains("args") ? req["args"].dump() : "{}";
      run_and_reply(entry, args, out, logs, out_fd, reply);
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
