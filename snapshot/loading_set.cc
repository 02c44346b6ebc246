#include "snapshot/loading_set.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace hearth::snapshot {

namespace {

constexpr const char* kHeader = "hearth-loading-set 1";

// Which pages of each recorded file are all zero (read once, one page at a time).
std::vector<std::vector<unsigned char>> zero_pages(const WorkingSet& ws) {
  std::vector<std::vector<unsigned char>> zero(ws.files.size());
  std::vector<int> fds(ws.files.size(), -1);
  for (std::size_t f = 0; f < ws.files.size(); ++f) {
    zero[f].assign(static_cast<std::size_t>(ws.file_pages[f]), 0);
    fds[f] = ::open(ws.files[f].c_str(), O_RDONLY | O_CLOEXEC);
    if (fds[f] < 0) {
      const std::string why = std::strerror(errno);
      for (int fd : fds)
        if (fd >= 0) ::close(fd);
      throw std::runtime_error("loading set: cannot open " + ws.files[f] + ": " + why);
    }
  }
  std::array<char, kPageBytes> page{};
  for (const PageRef& r : ws.order) {
    const ssize_t n = ::pread(fds[r.file], page.data(), page.size(), r.page * kPageBytes);
    if (n < 0) continue;  // unreadable now: kept (not zero)
    const bool all_zero = std::all_of(page.begin(), page.begin() + n, [](char c) { return c == 0; });
    zero[r.file][static_cast<std::size_t>(r.page)] = all_zero ? 1 : 0;
  }
  for (int fd : fds) ::close(fd);
  return zero;
}

[[noreturn]] void bad(const std::string& path, std::size_t line, const std::string& what) {
  throw std::runtime_error(path + ":" + std::to_string(line) + ": " + what);
}

}  // namespace

std::int64_t LoadingSet::total_pages() const {
  std::int64_t n = 0;
  for (const LoadingRegion& r : regions) n += r.pages;
  return n;
}

LoadingSet build_loading_set(const WorkingSet& ws, const LoadingSetOptions& options) {
  if (options.group_pages < 1) throw std::invalid_argument("loading set: group size must be at least one page");
  if (options.merge_gap_pages < 0) throw std::invalid_argument("loading set: merge gap must not be negative");
  LoadingSet set;
  set.files = ws.files;
  set.working_set_pages = static_cast<std::int64_t>(ws.order.size());
  std::vector<std::vector<unsigned char>> zero;
  if (options.drop_zero_pages) zero = zero_pages(ws);

  const std::size_t n = ws.order.size();
  const auto group_pages = static_cast<std::size_t>(options.group_pages);
  for (std::size_t begin = 0, group = 0; begin < n; begin += group_pages, ++group) {
    std::vector<PageRef> pages(ws.order.begin() + static_cast<std::ptrdiff_t>(begin),
                               ws.order.begin() + static_cast<std::ptrdiff_t>(std::min(n, begin + group_pages)));
    if (options.drop_zero_pages) {
      const auto before = pages.size();
      std::erase_if(pages, [&](const PageRef& r) { return zero[r.file][static_cast<std::size_t>(r.page)] != 0; });
      set.zero_pages += static_cast<std::int64_t>(before - pages.size());
    }
    std::sort(pages.begin(), pages.end(),
              [](const PageRef& a, const PageRef& b) { return a.file != b.file ? a.file < b.file : a.page < b.page; });
    for (const PageRef& r : pages) {
      if (!set.regions.empty()) {
        LoadingRegion& last = set.regions.back();
        const std::int64_t gap = r.page - (last.first_page + last.pages);
        if (last.group == static_cast<std::int32_t>(group) && last.file == r.file && gap <= options.merge_gap_pages) {
          last.pages = r.page - last.first_page + 1;
          continue;
        }
      }
      set.regions.push_back({static_cast<std::int32_t>(group), r.file, r.page, 1});
    }
  }
  return set;
}

void write_loading_set(const std::string& path, const LoadingSet& set) {
  std::ofstream out(path, std::ios::trunc);
  out << kHeader << "\n" << set.files.size() << " " << set.regions.size() << " " << set.working_set_pages << " "
      << set.zero_pages << "\n";
  for (const std::string& f : set.files) out << f << "\n";
  for (const LoadingRegion& r : set.regions) out << r.group << " " << r.file << " " << r.first_page << " " << r.pages << "\n";
  if (!out.flush()) throw std::runtime_error("loading set: cannot write " + path);
}

LoadingSet read_loading_set(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("loading set: cannot open " + path);
  std::string line;
  std::size_t lineno = 1;
  if (!std::getline(in, line) || line != kHeader) bad(path, lineno, "not a loading-set file (expected '" + std::string(kHeader) + "')");
  LoadingSet set;
  std::size_t files = 0, regions = 0;
  ++lineno;
  if (!std::getline(in, line)) bad(path, lineno, "missing the counts line");
  {
    std::istringstream s(line);
    std::string extra;
    if (!(s >> files >> regions >> set.working_set_pages >> set.zero_pages) || (s >> extra) || files > 1024 ||
        regions > kMaxRegions || set.working_set_pages < 0 || set.zero_pages < 0)
      bad(path, lineno, "counts must be 'files regions working_set_pages zero_pages' within limits, got '" + line + "'");
  }
  for (std::size_t f = 0; f < files; ++f) {
    ++lineno;
    if (!std::getline(in, line) || line.empty() || line[0] != '/') bad(path, lineno, "expected an absolute file path");
    set.files.push_back(line);
  }
  std::int32_t last_group = 0;
  for (std::size_t i = 0; i < regions; ++i) {
    ++lineno;
    if (!std::getline(in, line)) bad(path, lineno, "expected " + std::to_string(regions) + " regions, found " + std::to_string(i));
    std::istringstream s(line);
    LoadingRegion r;
    std::string extra;
    if (!(s >> r.group >> r.file >> r.first_page >> r.pages) || (s >> extra))
      bad(path, lineno, "a region is 'group file first_page pages', got '" + line + "'");
    if (r.file >= files) bad(path, lineno, "region names file " + std::to_string(r.file) + " of " + std::to_string(files));
    if (r.group < last_group) bad(path, lineno, "regions are not in group order");
    constexpr std::int64_t kMaxPage = std::numeric_limits<std::int64_t>::max() / kPageBytes / 2;
    if (r.first_page < 0 || r.pages < 1 || r.first_page > kMaxPage || r.pages > kMaxPage)
      bad(path, lineno, "region pages out of range in '" + line + "'");
    last_group = r.group;
    set.regions.push_back(r);
  }
  ++lineno;
  if (std::getline(in, line) && !line.empty()) bad(path, lineno, "unexpected text after the last region");
  return set;
}

}  // namespace hearth::snapshot
