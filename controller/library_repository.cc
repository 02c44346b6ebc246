#include "controller/library_repository.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>

namespace hearth::controller {
namespace {

using nlohmann::json;

// A file name the manifest may give: one path component, no "..", no hidden file.
bool is_file_name(const std::string& s) {
  return !s.empty() && s.size() <= 255 && s.front() != '.' && s.find('/') == std::string::npos &&
         s.size() > 4 && s.compare(s.size() - 4, 4, ".deb") == 0;
}

}  // namespace

LibraryRepository::LibraryRepository(std::string dir) : dir_(std::move(dir)) {
  const std::string path = (std::filesystem::path(dir_) / "manifest.json").string();
  std::ifstream in(path);
  if (!in) throw std::runtime_error("library repository: cannot read " + path + " (build it with scripts/library-repo)");
  const json m = json::parse(in, nullptr, false);
  if (m.is_discarded() || !m.is_object() || !m.contains("libraries") || !m["libraries"].is_array())
    throw std::runtime_error(path + ": not a JSON object with a \"libraries\" array");
  std::map<std::string, std::string> name_of_package;
  std::size_t index = 0;
  for (const json& e : m["libraries"]) {
    const std::string where = path + ": libraries[" + std::to_string(index++) + "]";
    Library lib;
    try {
      lib.name = e.at("name").get<std::string>();
      lib.package = e.at("package").get<std::string>();
      lib.version = e.at("version").get<std::string>();
      lib.file = e.at("file").get<std::string>();
      lib.sha256 = e.at("sha256").get<std::string>();
      lib.bytes = e.at("size").get<std::int64_t>();
      lib.installed_kb = e.value("installed_size_kb", std::int64_t{0});
      lib.depends = e.value("depends", std::vector<std::string>{});
    } catch (const json::exception& ex) {
      throw std::runtime_error(where + ": " + ex.what());
    }
    if (!net::is_library_name(lib.name)) throw std::runtime_error(where + ": bad name '" + lib.name + "'");
    if (!net::is_sha256_hex(lib.sha256)) throw std::runtime_error(where + " (" + lib.name + "): sha256 is not 64 lowercase hex digits");
    if (!is_file_name(lib.file)) throw std::runtime_error(where + " (" + lib.name + "): bad file name '" + lib.file + "'");
    if (lib.bytes <= 0 || lib.bytes > net::kMaxLibraryBytes)
      throw std::runtime_error(where + " (" + lib.name + "): size " + std::to_string(lib.bytes) + " outside 1.." +
                               std::to_string(net::kMaxLibraryBytes));
    struct stat st {};
    const std::string file = (std::filesystem::path(dir_) / lib.file).string();
    if (lstat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode))
      throw std::runtime_error(where + " (" + lib.name + "): " + file + " is missing or not a regular file");
    if (st.st_size != lib.bytes)
      throw std::runtime_error(where + " (" + lib.name + "): " + file + " has " + std::to_string(st.st_size) +
                               " bytes, the manifest says " + std::to_string(lib.bytes));
    if (libraries_.count(lib.name) || by_sha256_.count(lib.sha256))
      throw std::runtime_error(where + ": " + lib.name + " is listed twice");
    name_of_package[lib.package] = lib.name;
    by_sha256_[lib.sha256] = lib.name;
    libraries_[lib.name] = std::move(lib);
  }
  for (auto& [name, lib] : libraries_)  // dependencies by package → by name, each must be here
    for (std::string& d : lib.depends) {
      const auto it = name_of_package.find(d);
      if (it == name_of_package.end())
        throw std::runtime_error(path + ": " + name + " depends on " + d + ", which the repository does not hold");
      d = it->second;
    }
}

const LibraryRepository::Library* LibraryRepository::find(const std::string& name) const {
  const auto it = libraries_.find(name);
  return it == libraries_.end() ? nullptr : &it->second;
}

std::string LibraryRepository::check(const std::vector<std::string>& names) const {
  if (names.size() > net::kMaxDeclaredLibraries)
    return std::to_string(names.size()) + " libraries declared, at most " + std::to_string(net::kMaxDeclaredLibraries) + " are allowed";
  std::set<std::string> seen;
  for (const std::string& n : names) {
    if (!find(n)) {
      std::string known;
      for (const auto& [k, lib] : libraries_) known += (known.empty() ? "" : ", ") + k;
      return "unknown library '" + n.substr(0, 100) + "' (this repository holds: " + (known.empty() ? "nothing" : known) + ")";
    }
    if (!seen.insert(n).second) return "library '" + n + "' is declared twice";
  }
  return "";
}

std::vector<net::LibraryRef> LibraryRepository::resolve(const std::vector<std::string>& names) const {
  if (const std::string why = check(names); !why.empty()) throw std::invalid_argument(why);
  std::vector<net::LibraryRef> out;
  std::set<std::string> added;
  std::function<void(const std::string&)> add = [&](const std::string& name) {
    if (!added.insert(name).second) return;
    const Library& lib = libraries_.at(name);
    out.push_back(net::LibraryRef{lib.name, lib.sha256, lib.bytes});
    for (const std::string& d : lib.depends) add(d);
  };
  for (const std::string& n : names) add(n);
  if (out.size() > net::kMaxLibraryRefs)
    throw std::invalid_argument("the libraries' dependency closure has " + std::to_string(out.size()) + " packages, at most " +
                                std::to_string(net::kMaxLibraryRefs) + " are allowed");
  return out;
}

std::optional<std::string> LibraryRepository::read(const std::string& sha256) const {
  const auto it = by_sha256_.find(sha256);
  if (it == by_sha256_.end()) return std::nullopt;
  const Library& lib = libraries_.at(it->second);
  const std::string file = (std::filesystem::path(dir_) / lib.file).string();
  const int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw std::runtime_error("library " + lib.name + ": cannot open " + file);
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != lib.bytes) {
    close(fd);
    throw std::runtime_error("library " + lib.name + ": " + file + " no longer has the manifest's " + std::to_string(lib.bytes) + " bytes");
  }
  std::string bytes(static_cast<std::size_t>(lib.bytes), '\0');
  std::size_t got = 0;
  while (got < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n <= 0) break;
    got += static_cast<std::size_t>(n);
  }
  close(fd);
  if (got != bytes.size()) throw std::runtime_error("library " + lib.name + ": short read of " + file);
  return bytes;
}

}  // namespace hearth::controller
