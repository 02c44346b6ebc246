#include "trace/csv_reader.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>

namespace hearth::trace {

std::string base_name(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

CsvReader::CsvReader(std::string path) : path_(std::move(path)) {
  file_ = std::fopen(path_.c_str(), "rb");
  if (!file_) throw TraceError(path_, 0, std::string("cannot open: ") + std::strerror(errno));
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

CsvReader::~CsvReader() {
  if (file_) std::fclose(file_);
}

bool CsvReader::next() {
  while (true) {
    buffer_.clear();
    char chunk[1 << 16];
    bool got = false;
    while (std::fgets(chunk, sizeof chunk, file_)) {
      got = true;
      const std::size_t n = std::strlen(chunk);
      buffer_.append(chunk, n);
      if (n && chunk[n - 1] == '\n') break;
    }
    if (!got) return false;
    ++line_;
    while (!buffer_.empty() && (buffer_.back() == '\n' || buffer_.back() == '\r')) buffer_.pop_back();
    if (buffer_.empty()) continue;
    fields_.clear();
    std::string_view rest(buffer_);
    while (true) {
      const auto comma = rest.find(',');
      fields_.push_back(rest.substr(0, comma));
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    return true;
  }
}

void CsvReader::fail(const std::string& what) const { throw TraceError(base_name(path_), line_, what); }

void CsvReader::expect_fields(std::size_t n, bool at_least) const {
  if (fields_.size() == n || (at_least && fields_.size() > n)) return;
  fail("expected " + std::string(at_least ? "at least " : "") + std::to_string(n) + " columns, found " +
       std::to_string(fields_.size()));
}

std::int64_t CsvReader::non_negative_int(std::size_t i) const {
  const std::string_view s = fields_[i];
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v < 0)
    fail("column " + std::to_string(i + 1) + ": '" + std::string(s) + "' is not a non-negative integer");
  return v;
}

double CsvReader::number(std::size_t i) const {
  const std::string_view s = fields_[i];
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !std::isfinite(v))
    fail("column " + std::to_string(i + 1) + ": '" + std::string(s) + "' is not a number");
  return v;
}

}  // namespace hearth::trace
