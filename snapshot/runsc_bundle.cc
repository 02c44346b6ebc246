#include "snapshot/runsc_bundle.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "sandbox/sandbox.h"

namespace hearth::snapshot {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("runsc bundle: cannot write " + path.string());
}

json bind_ro(const std::string& path) {
  return {{"destination", path}, {"type", "bind"}, {"source", path}, {"options", {"rbind", "ro", "nosuid", "nodev"}}};
}

void check_path(const std::string& path) {
  if (path.empty() || path[0] != '/')
    throw std::invalid_argument("runsc bundle: read-only path '" + path + "' is not absolute");
  std::string normal = fs::path(path).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  const fs::path p(normal);
  for (const char* reserved : {"/", "/usr", "/etc", "/proc", "/tmp", "/dev"})
    if (p == fs::path(reserved))
      throw std::invalid_argument("runsc bundle: read-only path '" + path + "' would hide the container's " + reserved);
  std::error_code ec;
  if (!fs::exists(p, ec)) throw std::invalid_argument("runsc bundle: read-only path '" + path + "' does not exist");
}

}  // namespace

std::string snapshot_entry_path() { return std::string(HEARTH_RUNTIME_DIR) + "/python/hearth_snapshot_entry.py"; }

void write_bundle(const BundleSpec& spec) {
  for (const std::string& p : spec.read_only_paths) check_path(p);
  const fs::path dir(spec.dir);
  const fs::path root = dir / "rootfs";
  fs::create_directories(root / "etc");
  for (const char* link : {"bin", "lib", "lib64", "sbin"}) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(fs::path("/") / link, ec);
    if (ec) continue;  // a host without the merged /usr layout: nothing to mirror
    fs::remove(root / link, ec);
    fs::create_symlink(target, root / link);
  }
  for (const sandbox::EtcFile& f : sandbox::kEtcFiles) {
    std::string content = f.content;
    for (std::size_t at; (at = content.find("{hostname}")) != std::string::npos;) content.replace(at, 10, spec.hostname);
    write_text(root / "etc" / f.name, content);
  }

  json mounts = json::array();
  mounts.push_back({{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}});
  mounts.push_back({{"destination", "/tmp"}, {"type", "tmpfs"}, {"source", "tmpfs"},
                    {"options", {"nosuid", "nodev", "size=64m", "mode=1777"}}});
  mounts.push_back(bind_ro("/usr"));
  for (const char* etc : {"/etc/ld.so.cache", "/etc/alternatives"})
    if (access(etc, R_OK) == 0) mounts.push_back(bind_ro(etc));
  mounts.push_back(bind_ro(std::string(HEARTH_RUNTIME_DIR) + "/python"));
  for (const std::string& p : spec.read_only_paths) mounts.push_back(bind_ro(fs::path(p).lexically_normal().string()));

  const json config = {
      {"ociVersion", "1.0.2"},
      {"process",
       {{"terminal", false},
        {"user", {{"uid", 65534}, {"gid", 65534}}},
        {"args", {"/usr/bin/python3", "-u", "-E", snapshot_entry_path()}},
        {"env", {"PATH=/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "PYTHONDONTWRITEBYTECODE=1"}},
        {"cwd", "/tmp"},
        {"capabilities", {{"bounding", json::array()}, {"effective", json::array()}, {"permitted", json::array()},
                          {"inheritable", json::array()}, {"ambient", json::array()}}},
        {"noNewPrivileges", true}}},
      {"root", {{"path", root.string()}, {"readonly", true}}},
      {"hostname", spec.hostname},
      {"mounts", mounts},
      {"linux",
       {{"namespaces",
         {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}, {{"type", "network"}}}}}}};
  write_text(dir / "config.json", config.dump(1));
}

}  // namespace hearth::snapshot
