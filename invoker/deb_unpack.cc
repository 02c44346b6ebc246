#include "invoker/deb_unpack.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "sandbox/tied_child.h"

namespace hearth::invoker {
namespace {

constexpr std::size_t kBlock = 512;
constexpr std::size_t kMaxPath = 4096;

class Stream {
 public:
  explicit Stream(int fd) : fd_(fd) {}
  // Reads exactly n bytes; false at a clean or short end of stream.
  bool read(char* out, std::size_t n) {
    while (n > 0) {
      const ssize_t got = ::read(fd_, out, n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      out += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }

 private:
  int fd_;
};

// The octal number in a tar header field (NUL or space terminated); -1 if it is not one.
std::int64_t octal(const char* field, std::size_t n) {
  std::int64_t v = 0;
  std::size_t i = 0;
  while (i < n && field[i] == ' ') ++i;
  bool any = false;
  for (; i < n && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v > (std::int64_t{1} << 50)) return -1;
    v = v * 8 + (field[i] - '0');
    any = true;
  }
  if (!any || (i < n && field[i] != '\0' && field[i] != ' ')) return -1;
  return v;
}

std::string field(const char* f, std::size_t n) { return std::string(f, strnlen(f, n)); }

// "./usr/lib/x" → {"usr","lib","x"}; false if absolute, with "..", or empty components only.
bool split_member(const std::string& path, std::vector<std::string>* parts) {
  parts->clear();
  if (path.empty() || path.front() == '/' || path.size() > kMaxPath) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    const std::string c = path.substr(start, end - start);
    if (c == "..") return false;
    if (!c.empty() && c != ".") parts->push_back(c);
    start = end + 1;
  }
  return true;
}

std::string join(const std::string& root, const std::vector<std::string>& parts, std::size_t count) {
  std::string out = root;
  for (std::size_t i = 0; i < count; ++i) out += "/" + parts[i];
  return out;
}

// Whether a symlink at depth `depth` (components of its directory) pointing at `target` stays inside:
// relative, its ".." only leading and no more of them than `depth`.
bool link_stays_inside(const std::string& target, std::size_t depth) {
  if (target.empty() || target.front() == '/' || target.size() > kMaxPath) return false;
  std::size_t ups = 0;
  bool named = false;
  std::size_t start = 0;
  while (start <= target.size()) {
    std::size_t end = target.find('/', start);
    if (end == std::string::npos) end = target.size();
    const std::string c = target.substr(start, end - start);
    if (c == "..") {
      if (named) return false;
      ++ups;
    } else if (!c.empty() && c != ".") {
      named = true;
    }
    start = end + 1;
  }
  return ups <= depth;
}

class Extractor {
 public:
  Extractor(std::string deb, std::string root) : deb_(std::move(deb)), root_(std::move(root)) {}

  [[noreturn]] void fail(const std::string& member, const std::string& why) const {
    throw std::runtime_error(deb_ + ": " + (member.empty() ? "" : member + ": ") + why);
  }

  // Creates the parent directories of parts[0..n-1] (real directories only: a symlink on the way is an
  // error, so nothing is ever written through one).
  void make_parents(const std::string& member, const std::vector<std::string>& parts, std::size_t n) {
    for (std::size_t i = 1; i <= n; ++i) {
      const std::string p = join(root_, parts, i);
      struct stat st {};
      if (lstat(p.c_str(), &st) == 0) {
        if (!S_ISDIR(st.st_mode)) fail(member, "lies below " + join("", parts, i).substr(1) + ", which is not a directory");
        continue;
      }
      if (mkdir(p.c_str(), 0755) != 0 && errno != EEXIST) fail(member, std::string("mkdir: ") + std::strerror(errno));
    }
  }

  void run(Stream& in, UnpackStats& stats) {
    std::string long_name, long_link, pax_path, pax_link;
    char h[kBlock];
    std::vector<std::string> parts;
    std::int64_t members = 0;
    while (true) {
      if (!in.read(h, kBlock)) fail("", "the data tarball ends without its end-of-archive blocks");
      if (std::all_of(h, h + kBlock, [](char c) { return c == '\0'; })) return;  // end of archive
      if (++members > kMaxMembers) fail("", "more than " + std::to_string(kMaxMembers) + " members");
      unsigned sum = 0;
      for (std::size_t i = 0; i < kBlock; ++i) sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
      if (octal(h + 148, 8) != static_cast<std::int64_t>(sum)) fail("", "a tar header with a bad checksum");
      const std::int64_t size = octal(h + 124, 12);
      const std::int64_t mode = octal(h + 100, 8);
      if (size < 0 || mode < 0) fail(field(h, 100), "a tar header with a bad size or mode");
      const char type = h[156];
      std::string name = field(h, 100);
      if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0') name = field(h + 345, 155) + "/" + name;
      std::string link = field(h + 157, 100);
      if (!long_name.empty()) name = std::move(long_name), long_name.clear();
      if (!pax_path.empty()) name = std::move(pax_path), pax_path.clear();
      if (!long_link.empty()) link = std::move(long_link), long_link.clear();
      if (!pax_link.empty()) link = std::move(pax_link), pax_link.clear();

      if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {  // metadata for the next member
        if (size > static_cast<std::int64_t>(kMaxPath) * 4) fail(name, "an extended header over 16 KiB");
        std::string data = body(in, size, name);
        if (type == 'L') long_name = field(data.data(), data.size());
        if (type == 'K') long_link = field(data.data(), data.size());
        if (type == 'x') pax(data, &pax_path, &pax_link, name);
        continue;
      }
      if (!split_member(name, &parts)) fail(name, "an absolute path or a \"..\" component");
      if (parts.empty()) {  // "./": the root itself
        skip(in, size, name);
        continue;
      }
      make_parents(name, parts, parts.size() - 1);
      const std::string dst = join(root_, parts, parts.size());
      struct stat st {};
      const bool exists = lstat(dst.c_str(), &st) == 0;
      if (type == '5') {
        if (exists && !S_ISDIR(st.st_mode)) fail(name, "a directory where another member is");
        if (!exists && mkdir(dst.c_str(), 0755) != 0) fail(name, std::string("mkdir: ") + std::strerror(errno));
        skip(in, size, name);
        continue;
      }
      if (exists && S_ISDIR(st.st_mode)) fail(name, "would replace a directory");
      if (exists) unlink(dst.c_str());
      if (type == '0' || type == '\0' || type == '7') {
        stats.bytes += size;
        if (stats.bytes > kMaxUnpackedBytes) fail(name, "the package unpacks to more than " + std::to_string(kMaxUnpackedBytes >> 20) + " MB");
        const int fd = open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, (mode & 0111) ? 0755 : 0644);
        if (fd < 0) fail(name, std::string("create: ") + std::strerror(errno));
        copy(in, size, fd, name);
        ++stats.files;
        continue;
      }
      if (type == '2') {
        if (!link_stays_inside(link, parts.size() - 1)) {
          ++stats.skipped_links;
        } else if (symlink(link.c_str(), dst.c_str()) != 0) {
          fail(name, std::string("symlink: ") + std::strerror(errno));
        }
        skip(in, size, name);
        continue;
      }
      if (type == '1') {
        std::vector<std::string> target;
        if (!split_member(link, &target) || target.empty()) fail(name, "a hard link to an absolute path or with \"..\"");
        const std::string src = join(root_, target, target.size());
        for (std::size_t i = 1; i < target.size(); ++i) {  // the source too lies below real directories only
          struct stat ps {};
          if (lstat(join(root_, target, i).c_str(), &ps) != 0 || !S_ISDIR(ps.st_mode)) fail(name, "a hard link through a non-directory");
        }
        struct stat ss {};
        if (lstat(src.c_str(), &ss) != 0 || !S_ISREG(ss.st_mode)) fail(name, "a hard link to " + link + ", which is not an unpacked file");
        if (::link(src.c_str(), dst.c_str()) != 0) fail(name, std::string("link: ") + std::strerror(errno));
        ++stats.files;
        skip(in, size, name);
        continue;
      }
      fail(name, std::string("a member of type '") + (type >= 32 && type < 127 ? std::string(1, type) : "?") +
                     "' (only files, directories and links are unpacked)");
    }
  }

 private:
  static std::int64_t padded(std::int64_t size) { return (size + 511) / 512 * 512; }

  std::string body(Stream& in, std::int64_t size, const std::string& name) {
    std::string data(static_cast<std::size_t>(padded(size)), '\0');
    if (!in.read(data.data(), data.size())) fail(name, "truncated");
    data.resize(static_cast<std::size_t>(size));
    return data;
  }
  void skip(Stream& in, std::int64_t size, const std::string& name) {
    char buf[kBlock];
    for (std::int64_t left = padded(size); left > 0; left -= kBlock)
      if (!in.read(buf, kBlock)) fail(name, "truncated");
  }
  void copy(Stream& in, std::int64_t size, int fd, const std::string& name) {
    std::vector<char> buf(1 << 16);
    std::int64_t left = padded(size), data = size;
    while (left > 0) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size())));
      if (!in.read(buf.data(), n)) {
        close(fd);
        fail(name, "truncated");
      }
      const std::size_t w = static_cast<std::size_t>(std::min<std::int64_t>(data, static_cast<std::int64_t>(n)));
      for (std::size_t off = 0; off < w;) {
        const ssize_t k = ::write(fd, buf.data() + off, w - off);
        if (k <= 0) {
          close(fd);
          fail(name, std::string("write: ") + std::strerror(errno));
        }
        off += static_cast<std::size_t>(k);
      }
      data -= static_cast<std::int64_t>(w);
      left -= static_cast<std::int64_t>(n);
    }
    if (close(fd) != 0) fail(name, std::string("close: ") + std::strerror(errno));
  }
  // pax records "<len> <key>=<value>\n": path and linkpath are used, the rest (times, owners) ignored.
  void pax(const std::string& data, std::string* path, std::string* link, const std::string& name) {
    std::size_t at = 0;
    while (at < data.size()) {
      const std::size_t space = data.find(' ', at);
      if (space == std::string::npos) fail(name, "a malformed pax header");
      const std::int64_t len = std::atoll(data.substr(at, space - at).c_str());
      if (len <= 0 || at + static_cast<std::size_t>(len) > data.size()) fail(name, "a malformed pax record");
      const std::string rec = data.substr(space + 1, at + static_cast<std::size_t>(len) - space - 2);
      const std::size_t eq = rec.find('=');
      if (eq != std::string::npos) {
        if (rec.compare(0, eq, "path") == 0) *path = rec.substr(eq + 1);
        if (rec.compare(0, eq, "linkpath") == 0) *link = rec.substr(eq + 1);
      }
      at += static_cast<std::size_t>(len);
    }
  }

  std::string deb_, root_;
};

}  // namespace

UnpackStats unpack_deb(const std::string& deb_path, const std::string& target) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(deb_path + ": pipe: " + std::strerror(errno));
  if (pipe2(err, O_CLOEXEC) != 0) {
    close(out[0]), close(out[1]);
    throw std::runtime_error(deb_path + ": pipe: " + std::strerror(errno));
  }
  const std::vector<std::string> args = {"/usr/bin/dpkg-deb", "--fsys-tarfile", deb_path};
  pid_t pid = -1;
  std::string spawn_error;
  try {
    pid = sandbox::spawn_tied_child({.argv = args, .out_fd = out[1], .err_fd = err[1]});  // dies with this invoker
  } catch (const std::exception& e) {
    spawn_error = e.what();
  }
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(out[0]), close(err[0]);
    throw std::runtime_error(deb_path + ": " + spawn_error);
  }
  UnpackStats stats;
  std::string failure;
  try {
    Stream in(out[0]);
    Extractor(deb_path, target).run(in, stats);
    // What follows the end-of-archive blocks is the tar record's zero padding (under 10 KiB): read it, so
    // dpkg-deb ends normally rather than on a broken pipe.
    char pad[4096];
    std::int64_t trailing = 0;
    for (ssize_t n; (n = ::read(out[0], pad, sizeof pad)) != 0;) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || (trailing += n) > (1 << 20)) throw std::runtime_error(deb_path + ": more than 1 MiB after the end of the data tarball");
    }
  } catch (const std::exception& e) {
    failure = e.what();
    kill(pid, SIGKILL);
  }
  close(out[0]);
  char buf[4096];
  std::string errors;
  for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0 && errors.size() < 4096;) errors.append(buf, static_cast<std::size_t>(n));
  close(err[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!failure.empty()) throw std::runtime_error(failure);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!errors.empty() && errors.back() == '\n') errors.pop_back();
    throw std::runtime_error(deb_path + ": dpkg-deb --fsys-tarfile failed" + (errors.empty() ? "" : ": " + errors));
  }
  return stats;
}

}  // namespace hearth::invoker
