// CsvReader: lines, fields, numbers, and the bad input the trace fuzz targets (fuzz/csv_fuzz.cc) probe.
#include "trace/csv_reader.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/trace/temp_dir.h"
#include "trace/trace_error.h"

namespace hearth::trace {
namespace {

using hearth::testing::TempDir;

std::string error_of(CsvReader& r) {
  try {
    while (r.next()) {
    }
  } catch (const TraceError& e) {
    return e.what();
  }
  return "no error";
}

TEST(CsvReader, SplitsFieldsSkipsEmptyLinesAndCountsLines) {
  TempDir d;
  d.write("t.csv", "a,b,,c\r\n\n\r\nx\n1,2");
  CsvReader r(d.str() + "/t.csv");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 1);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[2], "");
  EXPECT_EQ(r[3], "c");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 4);
  EXPECT_EQ(r[0], "x");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 5);
  EXPECT_EQ(r.non_negative_int(1), 2);
  EXPECT_FALSE(r.next());
}

// Lines longer than the reader's read-ahead chunk arrive whole.
TEST(CsvReader, LongLinesAcrossReadChunks) {
  TempDir d;
  const std::string a(200'000, 'a'), b(70'000, 'b');
  d.write("t.csv", a + "," + b + "\nend\n");
  CsvReader r(d.str() + "/t.csv");
  ASSERT_TRUE(r.next());
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], a);
  EXPECT_EQ(r[1], b);
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.line(), 2);
  EXPECT_EQ(r[0], "end");
}

// Found by fuzz/csv_fuzz.cc (in 9 runs from the mixed_fields seed): a NUL byte cut the line short and glued the next line onto it (fgets + strlen), so
// "3,4\0x\n5,6" read as one row "3,45,6" with every later line number one too low.
TEST(CsvReader, NulByteIsAnErrorAtItsLine) {
  TempDir d;
  d.write("t.csv", std::string("1,2\n3,4\0x\n5,6\n", 14));
  CsvReader r(d.str() + "/t.csv");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(error_of(r), "t.csv:2: NUL byte in the line (a binary or damaged file?)");
}

// A file without line breaks (a binary file given as a trace) was buffered whole.
TEST(CsvReader, OverlongLineIsAnErrorNotABuffer) {
  TempDir d;
  d.write("t.csv", "ok\n" + std::string(CsvReader::kMaxLineBytes + 1, '7') + "\n");
  CsvReader r(d.str() + "/t.csv");
  EXPECT_EQ(error_of(r), "t.csv:2: line longer than 1048576 bytes (not a trace file?)");
  TempDir e;  // the longest line allowed still reads
  e.write("t.csv", std::string(CsvReader::kMaxLineBytes - 2, '7') + "\r\n");
  CsvReader s(e.str() + "/t.csv");
  ASSERT_TRUE(s.next());
  EXPECT_EQ(s[0].size(), CsvReader::kMaxLineBytes - 2);
}

// A read error was taken for the end of the file.
TEST(CsvReader, ReadErrorIsNotEndOfFile) {
  TempDir d;
  CsvReader r(d.str());  // a directory opens, but reading it fails (EISDIR)
  EXPECT_NE(error_of(r).find(":1: cannot read: Is a directory"), std::string::npos) << error_of(r);
}

TEST(CsvReader, NumbersAndRanges) {
  TempDir d;
  d.write("t.csv", "12,-1,1e3,inf,1e300,x\n");
  CsvReader r(d.str() + "/t.csv");
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.non_negative_int(0), 12);
  EXPECT_THROW(r.non_negative_int(1), TraceError);
  EXPECT_EQ(r.number(2, 0, 1e4), 1000.0);
  EXPECT_THROW(r.number(3), TraceError);
  try {
    r.number(4, 0, 1e12);
    FAIL();
  } catch (const TraceError& e) {
    EXPECT_STREQ(e.what(), "t.csv:1: column 5: '1e300' is out of range [0, 1e+12]");
  }
  EXPECT_THROW(r.number(1, 0, 1), TraceError);
  EXPECT_THROW(r.number(5, 0, 1), TraceError);
}

}  // namespace
}  // namespace hearth::trace
