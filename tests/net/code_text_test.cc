// CodeText (net/code_text.h): an action's code shared by every copy of its record, never written through.
#include "net/code_text.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "net/records.h"

namespace hearth::net {
namespace {

TEST(CodeText, CopiesShareOneBufferAndReadLikeTheString) {
  const std::string text(21'000, 'A');  // the base64 of a 15 KB native no-op
  ActionRecord a;
  a.code = text;
  const ActionRecord copy = a;  // what the store's cache, each request and the invoker's cache do
  EXPECT_TRUE(copy.code.shares_buffer_with(a.code));
  EXPECT_EQ(copy.code.str().data(), a.code.str().data());  // the same bytes, not equal bytes
  EXPECT_EQ(copy.code, text);
  EXPECT_EQ(copy.code.size(), text.size());
  const std::string& as_string = copy.code;  // reads convert to the string itself
  EXPECT_EQ(&as_string, &a.code.str());
  InvocationRequest request{copy, "{}", "id", 0};
  EXPECT_TRUE(request.action.code.shares_buffer_with(a.code));
}

TEST(CodeText, AssigningReplacesTheBufferAndNeverChangesACopy) {
  ActionRecord a;
  a.code = "def main(a): return a";
  const ActionRecord before = a;
  a.code = "def main(a): return {}";  // an update: a new buffer
  EXPECT_EQ(before.code, "def main(a): return a");
  EXPECT_EQ(a.code, "def main(a): return {}");
  EXPECT_FALSE(before.code.shares_buffer_with(a.code));
}

TEST(CodeText, EmptyWhenNoneWasGiven) {
  const CodeText none;
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none, "");
  EXPECT_EQ(none, CodeText(std::string()));
  EXPECT_FALSE(none.shares_buffer_with(CodeText()));
  std::ostringstream out;
  out << CodeText("x");
  EXPECT_EQ(out.str(), "x");
}

}  // namespace
}  // namespace hearth::net
