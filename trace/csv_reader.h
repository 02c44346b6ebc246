// CsvReader: reads a CSV file line by line into reused buffers and splits fields at commas (no quoting:
// the trace formats have none). Lines end at '\n' (a trailing '\r' is dropped); empty lines are skipped.
// Numbers parse with std::from_chars. Every error is a TraceError with the file name and 1-based line
// number: a line longer than kMaxLineBytes (so memory stays bounded whatever the file holds), a NUL byte
// (a binary or damaged file), a read error. Cost: one pass over the bytes; no allocation per field.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "trace/trace_error.h"

namespace hearth::trace {

class CsvReader {
 public:
  // The longest line, its line break included: far above any trace row (an Azure 2019 day row holds
  // 1,440 counts and three hashes, about 12 KB).
  static constexpr std::size_t kMaxLineBytes = 1 << 20;

  // Opens `path`; throws TraceError(path, 0, "cannot open ...") if it cannot.
  explicit CsvReader(std::string path);
  ~CsvReader();
  CsvReader(const CsvReader&) = delete;
  CsvReader& operator=(const CsvReader&) = delete;

  // Reads the next non-empty line and splits it; false at end of file.
  bool next();
  const std::vector<std::string_view>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }
  std::string_view operator[](std::size_t i) const { return fields_[i]; }
  long line() const { return line_; }
  const std::string& path() const { return path_; }

  // Field i as a number; throws TraceError naming the line, column and text on malformed input.
  std::int64_t non_negative_int(std::size_t i) const;
  double number(std::size_t i) const;
  // A number within [min, max]; throws TraceError naming the line, column, text and range otherwise.
  double number(std::size_t i, double min, double max) const;
  // Throws unless the line has exactly `n` fields (or at least `n` when at_least).
  void expect_fields(std::size_t n, bool at_least = false) const;
  [[noreturn]] void fail(const std::string& what) const;

 private:
  // The next line's bytes (with its '\n') into buffer_, counting it; false at end of file.
  bool read_line();

  std::string path_;
  std::FILE* file_ = nullptr;
  std::vector<char> chunk_;  // bytes read from the file and not yet consumed: [chunk_pos_, chunk_end_)
  std::size_t chunk_pos_ = 0, chunk_end_ = 0;
  std::string buffer_;
  std::vector<std::string_view> fields_;
  long line_ = 0;
};

// The file name without directories, for error messages ("invocations.csv:17: ...").
std::string base_name(const std::string& path);

}  // namespace hearth::trace
