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
  chunk_.resize(1 << 16);
}

CsvReader::~CsvReader() {
  if (file_) std::fclose(file_);
}

bool CsvReader::read_line() {
  buffer_.clear();
  bool got = false;
  while (true) {
    if (chunk_pos_ == chunk_end_) {
      chunk_pos_ = 0;
      chunk_end_ = std::fread(chunk_.data(), 1, chunk_.size(), file_);
      if (chunk_end_ == 0) {
        if (std::ferror(file_))
          throw TraceError(base_name(path_), got ? line_ : line_ + 1, std::string("cannot read: ") + std::strerror(errno));
        break;
      }
    }
    if (!got) ++line_;
    got = true;
    const char* begin = chunk_.data() + chunk_pos_;
    const void* nl = std::memchr(begin, '\n', chunk_end_ - chunk_pos_);
    const std::size_t take = nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - begin) + 1 : chunk_end_ - chunk_pos_;
    if (buffer_.size() + take > kMaxLineBytes)
      fail("line longer than " + std::to_string(kMaxLineBytes) + " bytes (not a trace file?)");
    buffer_.append(begin, take);
    chunk_pos_ += take;
    if (nl) break;
  }
  return got;
}

bool CsvReader::next() {
  while (read_line()) {
    while (!buffer_.empty() && (buffer_.back() == '\n' || buffer_.back() == '\r')) buffer_.pop_back();
    if (buffer_.empty()) continue;
    if (buffer_.find('\0') != std::string::npos) fail("NUL byte in the line (a binary or damaged file?)");
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
  return false;
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

double CsvReader::number(std::size_t i, double min, double max) const {
  const double v = number(i);
  if (v < min || v > max) {
    char range[64];
    std::snprintf(range, sizeof range, "[%g, %g]", min, max);
    fail("column " + std::to_string(i + 1) + ": '" + std::string(fields_[i]) + "' is out of range " + range);
  }
  return v;
}

}  // namespace hearth::trace
