#include "invoker/python_modules.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace hearth::invoker {
namespace fs = std::filesystem;
namespace {

bool is_public_identifier(const std::string& s) {
  if (s.empty() || s.size() > 100 || s[0] == '_' || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  });
}

// NAME of NAME.py, NAME.so, NAME.<tag>.so; "" for anything else.
std::string module_of_file(const std::string& file) {
  if (file.size() > 3 && file.ends_with(".py")) return file.substr(0, file.size() - 3);
  if (file.size() > 3 && file.ends_with(".so")) return file.substr(0, file.find('.'));
  return "";
}

}  // namespace

std::vector<std::string> top_level_modules(const std::string& dist_packages) {
  std::vector<std::string> out;
  std::error_code ec;
  fs::directory_iterator it(dist_packages, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    const fs::file_status st = it->symlink_status(ec);
    if (ec) break;
    std::string module;
    if (fs::is_directory(st)) {
      if (fs::is_regular_file(fs::symlink_status(it->path() / "__init__.py", ec))) module = name;
    } else if (fs::is_regular_file(st)) {
      module = module_of_file(name);
    }
    if (is_public_identifier(module)) out.push_back(module);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace hearth::invoker
