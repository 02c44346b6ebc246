#include "net/base64.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace hearth::net {
namespace {

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  std::string out;
  EXPECT_TRUE(base64_decode("Zm9vYg==", &out));
  EXPECT_EQ(out, "foob");
  EXPECT_FALSE(base64_decode("Zm9v*", &out));
}

RC_GTEST_PROP(Base64Property, RoundTrips, (const std::string& bytes)) {
  std::string back;
  RC_ASSERT(base64_decode(base64_encode(bytes), &back));
  RC_ASSERT(back == bytes);
}

}  // namespace
}  // namespace hearth::net
