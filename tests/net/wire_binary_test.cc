#include "net/wire_binary.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>
#include <string>

namespace hearth::net::wire {
namespace {

InvocationRequest sample_request() {
  InvocationRequest r;
  r.action.ns = "guest";
  r.action.name = "noop";
  r.action.kind = "native";
  r.action.entry = "main";
  r.action.memory_mb = 256;
  r.action.timeout_ms = 60'000;
  r.action.cpu_millicores = 500;
  r.action.version = 3;
  r.action.updated_us = 1'700'000'000'000'000;
  r.action.revision = 42;
  r.action.code = std::string("must not travel");
  r.params_json = R"({"x":1})";
  r.activation_id = "0123456789abcdef0123456789abcdef";
  r.arrival_us = -7;  // signed fields keep their sign
  return r;
}

ActivationRecord sample_record() {
  ActivationRecord a;
  a.id = "0123456789abcdef0123456789abcdef";
  a.ns = "guest";
  a.action = "noop";
  a.start_us = 10;
  a.end_us = 20;
  a.wait_us = 1;
  a.init_us = 0;
  a.run_us = 9;
  a.start_kind = "warm";
  a.invoker = "invoker0";
  a.container = "c1";
  a.status = "success";
  a.result_json = "{}";
  a.logs = {"line one", ""};
  a.freshen_json = R"({"fetch":1})";
  return a;
}

TEST(WireBinary, AnInvokeHasTheDocumentedLayoutByHand) {
  InvocationRequest r;
  r.action.ns = "n";
  r.action.name = "a";
  r.action.kind = "k";
  r.action.entry = "e";
  r.action.memory_mb = 1;
  r.action.timeout_ms = 2;
  r.action.cpu_millicores = 3;
  r.action.version = 4;
  r.action.updated_us = 5;
  r.action.revision = 6;
  r.activation_id = "i";
  r.params_json = "{}";
  r.arrival_us = 0x0102;
  std::string out;
  encode_invoke(out, 0x0A0B, r, true);
  std::string want("\xB1\x01\x01\x01", 4);          // magic, version 1, invoke, expect_warm
  want += std::string("\x0B\x0A\0\0\0\0\0\0", 8);  // seq, little-endian
  want += std::string("\x02\x01\0\0\0\0\0\0", 8);  // arrival_us
  for (const char* s : {"n", "a", "k", "e"}) want += std::string("\x01\0\0\0", 4) + s;
  for (char v = 1; v <= 6; ++v) want += std::string(1, v) + std::string(7, '\0');
  want += std::string("\x01\0\0\0", 4) + "i";
  want += std::string("\x02\0\0\0", 4) + "{}";
  EXPECT_EQ(out, want);
  EXPECT_TRUE(is_binary_frame(out));
  EXPECT_EQ(binary_type(out), kBinaryInvoke);
  EXPECT_EQ(binary_seq(out), 0x0A0Bu);
}

TEST(WireBinary, AnInvokeRoundTripsWithoutItsCode) {
  std::string out;
  encode_invoke(out, 7, sample_request(), false);
  const BinaryInvoke m = decode_invoke(out);
  const InvocationRequest want = sample_request();
  EXPECT_EQ(m.seq, 7u);
  EXPECT_FALSE(m.expect_warm);
  EXPECT_EQ(m.request.action.ns, want.action.ns);
  EXPECT_EQ(m.request.action.name, want.action.name);
  EXPECT_EQ(m.request.action.kind, want.action.kind);
  EXPECT_EQ(m.request.action.cpu_millicores, 500);
  EXPECT_EQ(m.request.action.updated_us, want.action.updated_us);
  EXPECT_EQ(m.request.action.revision, 42);
  EXPECT_TRUE(m.request.action.code.empty());
  EXPECT_EQ(m.request.params_json, want.params_json);
  EXPECT_EQ(m.request.activation_id, want.activation_id);
  EXPECT_EQ(m.request.arrival_us, -7);
}

TEST(WireBinary, AResultRoundTripsWithAndWithoutItsStateReport) {
  std::string out;
  encode_result(out, 9, sample_record(), "");
  BinaryResult r = decode_result(out);
  EXPECT_EQ(r.seq, 9u);
  EXPECT_FALSE(r.state_json.has_value());
  EXPECT_EQ(r.activation.logs, sample_record().logs);
  EXPECT_EQ(r.activation.freshen_json, sample_record().freshen_json);
  EXPECT_EQ(r.activation.status, "success");
  encode_result(out, 10, sample_record(), R"({"memory_mb":1})");  // the buffer is reused
  r = decode_result(out);
  EXPECT_EQ(r.seq, 10u);
  ASSERT_TRUE(r.state_json.has_value());
  EXPECT_EQ(*r.state_json, R"({"memory_mb":1})");
}

TEST(WireBinary, EveryTruncationIsRefusedNamingTheField) {
  std::string out;
  encode_result(out, 1, sample_record(), "{}");
  for (std::size_t n = 0; n < out.size(); ++n)
    EXPECT_THROW(decode_result(std::string_view(out).substr(0, n)), std::invalid_argument) << n;
  try {
    decode_result(std::string_view(out).substr(0, 20));
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "binary result frame: field 'id' (32 bytes at offset 16) runs past the frame's 20 bytes");
  }
  encode_invoke(out, 1, sample_request(), true);
  for (std::size_t n = 0; n < out.size(); ++n)
    EXPECT_THROW(decode_invoke(std::string_view(out).substr(0, n)), std::invalid_argument) << n;
}

TEST(WireBinary, OtherVersionsTypesFlagsAndTrailingBytesAreRefused) {
  std::string out;
  encode_invoke(out, 1, sample_request(), false);
  const auto message = [](const std::string& frame, bool invoke) {
    try {
      invoke ? (void)decode_invoke(frame) : (void)decode_result(frame);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  std::string v2 = out;
  v2[1] = 2;
  EXPECT_EQ(message(v2, true), "binary frame of layout version 2: this build reads version 1");
  EXPECT_FALSE(binary_seq(v2).has_value());
  EXPECT_EQ(message(out, false), "binary result frame: the header says message type 1");
  std::string type9 = out;
  type9[2] = 9;
  EXPECT_EQ(message(type9, true), "binary frame of unknown message type 9");
  std::string flags = out;
  flags[3] = 4;
  EXPECT_EQ(message(flags, true), "binary invoke frame: unknown flags 0x4");
  EXPECT_EQ(message(out + "x", true), "binary invoke frame: 1 bytes after its last field (offset " +
                                          std::to_string(out.size()) + ")");
  EXPECT_FALSE(is_binary_frame(R"({"type":"invoke"})"));  // JSON is never taken for binary
}

TEST(WireBinary, ALogCountTheFrameCannotHoldIsRefusedBeforeAnythingIsReserved) {
  ActivationRecord a;
  std::string out;
  encode_result(out, 1, a, "");
  // The log count is the last 4 bytes of a result without state and without logs.
  out.replace(out.size() - 4, 4, std::string("\xFF\xFF\xFF\xFF", 4));
  EXPECT_THROW(decode_result(out), std::invalid_argument);
}

RC_GTEST_PROP(WireBinaryProperty, InvokesRoundTripForArbitraryValues,
              (std::uint64_t seq, bool warm, std::string ns, std::string name, std::string params, std::int64_t a,
               std::int64_t b, std::int64_t c)) {
  InvocationRequest r;
  r.action.ns = ns;
  r.action.name = name;
  r.action.kind = *rc::gen::arbitrary<std::string>();
  r.action.entry = *rc::gen::arbitrary<std::string>();
  r.action.memory_mb = a;
  r.action.timeout_ms = b;
  r.action.cpu_millicores = c;
  r.action.version = a ^ b;
  r.action.updated_us = *rc::gen::arbitrary<std::int64_t>();
  r.action.revision = c;
  r.params_json = params;
  r.activation_id = *rc::gen::arbitrary<std::string>();
  r.arrival_us = a / 3;
  std::string out;
  encode_invoke(out, seq, r, warm);
  const BinaryInvoke m = decode_invoke(out);
  RC_ASSERT(m.seq == seq);
  RC_ASSERT(m.expect_warm == warm);
  RC_ASSERT(m.request.action.ns == r.action.ns && m.request.action.name == r.action.name);
  RC_ASSERT(m.request.action.kind == r.action.kind && m.request.action.entry == r.action.entry);
  RC_ASSERT(m.request.action.memory_mb == a && m.request.action.timeout_ms == b && m.request.action.cpu_millicores == c);
  RC_ASSERT(m.request.action.version == r.action.version && m.request.action.updated_us == r.action.updated_us);
  RC_ASSERT(m.request.action.revision == c);
  RC_ASSERT(m.request.params_json == params && m.request.activation_id == r.activation_id);
  RC_ASSERT(m.request.arrival_us == r.arrival_us);
}

RC_GTEST_PROP(WireBinaryProperty, ResultsRoundTripForArbitraryValues,
              (std::uint64_t seq, std::string result, std::vector<std::string> logs, std::string state,
               std::int64_t start, std::int64_t run)) {
  ActivationRecord a = sample_record();
  a.result_json = result;
  a.logs = logs;
  a.start_us = start;
  a.run_us = run;
  a.status = *rc::gen::arbitrary<std::string>();
  a.freshen_json = *rc::gen::container<std::string>(*rc::gen::inRange<std::size_t>(0, 5000), rc::gen::arbitrary<char>());
  std::string out;
  encode_result(out, seq, a, state);
  const BinaryResult r = decode_result(out);
  RC_ASSERT(r.seq == seq);
  RC_ASSERT(r.activation.result_json == result && r.activation.logs == logs && r.activation.status == a.status);
  RC_ASSERT(r.activation.start_us == start && r.activation.run_us == run);
  RC_ASSERT(r.activation.id == a.id && r.activation.invoker == a.invoker && r.activation.container == a.container);
  // A freshen report over 4 KiB is dropped, as from JSON.
  RC_ASSERT(r.activation.freshen_json == (a.freshen_json.size() <= 4096 ? a.freshen_json : std::string()));
  RC_ASSERT(r.state_json.has_value() == !state.empty());
  if (!state.empty()) RC_ASSERT(*r.state_json == state);
}

RC_GTEST_PROP(WireBinaryProperty, ArbitraryBytesAfterTheMagicAreDecodedOrRefusedNeverCrash, (std::string bytes)) {
  const std::string frame = std::string(1, static_cast<char>(kBinaryMagic)) + bytes;
  for (auto decode : {+[](std::string_view p) { (void)decode_invoke(p); }, +[](std::string_view p) { (void)decode_result(p); }}) {
    try {
      decode(frame);
    } catch (const std::invalid_argument&) {
    }
  }
  (void)binary_seq(frame);
}

}  // namespace
}  // namespace hearth::net::wire
