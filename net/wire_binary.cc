#include "net/wire_binary.h"

#include <cstring>
#include <limits>
#include <stdexcept>

#include "net/little_endian.h"

namespace hearth::net::wire {
namespace {

constexpr std::size_t kHeaderBytes = 4;

void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

template <typename U>
void put_le(std::string& out, U v) {
  char b[sizeof(U)];
  store_le(b, v);
  out.append(b, sizeof(U));
}

void put_u64(std::string& out, std::uint64_t v) { put_le(out, v); }
void put_i64(std::string& out, std::int64_t v) { put_le(out, static_cast<std::uint64_t>(v)); }
void put_u32(std::string& out, std::uint32_t v) { put_le(out, v); }

void put_str(std::string& out, std::string_view s) {
  if (s.size() > std::numeric_limits<std::uint32_t>::max())
    throw std::length_error("binary frame: a field of " + std::to_string(s.size()) + " bytes exceeds 4 GiB - 1");
  put_u32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

void put_header(std::string& out, std::uint8_t type, std::uint8_t flags) {
  out.clear();
  put_u8(out, kBinaryMagic);
  put_u8(out, kBinaryLayoutVersion);
  put_u8(out, type);
  put_u8(out, flags);
}

// Reads the fields of one frame in order; every read checks the bytes are there.
class Fields {
 public:
  Fields(std::string_view payload, const char* what) : p_(payload), what_(what), at_(kHeaderBytes) {}

  std::uint64_t u64(const char* field) { return get<std::uint64_t>(field); }
  std::int64_t i64(const char* field) { return static_cast<std::int64_t>(get<std::uint64_t>(field)); }
  std::uint32_t u32(const char* field) { return get<std::uint32_t>(field); }
  void str(const char* field, std::string& out) {
    const std::uint32_t n = u32(field);
    need(field, n);
    out.assign(p_.data() + at_, n);
    at_ += n;
  }
  void end() const {
    if (at_ != p_.size())
      throw std::invalid_argument(std::string(what_) + ": " + std::to_string(p_.size() - at_) +
                                  " bytes after its last field (offset " + std::to_string(at_) + ")");
  }

 private:
  template <typename U>
  U get(const char* field) {
    need(field, sizeof(U));
    const U v = load_le<U>(p_.data() + at_);
    at_ += sizeof(U);
    return v;
  }
  void need(const char* field, std::size_t n) const {
    if (p_.size() - at_ < n)
      throw std::invalid_argument(std::string(what_) + ": field '" + field + "' (" + std::to_string(n) +
                                  " bytes at offset " + std::to_string(at_) + ") runs past the frame's " +
                                  std::to_string(p_.size()) + " bytes");
  }
  std::string_view p_;
  const char* what_;
  std::size_t at_;
};

// Checks the header of a frame expected to be of `type`; returns its flags.
std::uint8_t check_header(std::string_view payload, std::uint8_t type, std::uint8_t known_flags, const char* what) {
  if (binary_type(payload) != type)
    throw std::invalid_argument(std::string(what) + ": the header says message type " +
                                std::to_string(static_cast<std::uint8_t>(payload[2])));
  const auto flags = static_cast<std::uint8_t>(payload[3]);
  if (flags & ~known_flags)
    throw std::invalid_argument(std::string(what) + ": unknown flags 0x" + std::to_string(flags & ~known_flags));
  return flags;
}

}  // namespace

void encode_invoke(std::string& out, std::uint64_t seq, const InvocationRequest& r, bool expect_warm) {
  put_header(out, kBinaryInvoke, expect_warm ? kFlagExpectWarm : 0);
  put_u64(out, seq);
  put_i64(out, r.arrival_us);
  const ActionRecord& a = r.action;
  put_str(out, a.ns);
  put_str(out, a.name);
  put_str(out, a.kind);
  put_str(out, a.entry);
  for (std::int64_t v : {a.memory_mb, a.timeout_ms, a.cpu_millicores, a.version, a.updated_us, a.revision}) put_i64(out, v);
  put_str(out, r.activation_id);
  put_str(out, r.params_json);
}

void encode_result(std::string& out, std::uint64_t seq, const ActivationRecord& a, std::string_view state_json) {
  put_header(out, kBinaryResult, state_json.empty() ? 0 : kFlagState);
  put_u64(out, seq);
  put_str(out, a.id);
  put_str(out, a.ns);
  put_str(out, a.action);
  for (std::int64_t v : {a.start_us, a.end_us, a.wait_us, a.init_us, a.run_us}) put_i64(out, v);
  for (const std::string* s : {&a.start_kind, &a.invoker, &a.container, &a.status, &a.result_json, &a.freshen_json})
    put_str(out, *s);
  if (a.logs.size() > std::numeric_limits<std::uint32_t>::max()) throw std::length_error("binary frame: too many logs");
  put_u32(out, static_cast<std::uint32_t>(a.logs.size()));
  for (const std::string& line : a.logs) put_str(out, line);
  if (!state_json.empty()) put_str(out, state_json);
}

std::uint8_t binary_type(std::string_view payload) {
  if (payload.size() < kHeaderBytes || !is_binary_frame(payload))
    throw std::invalid_argument("binary frame: " + std::to_string(payload.size()) + " bytes, shorter than its " +
                                std::to_string(kHeaderBytes) + "-byte header");
  const auto version = static_cast<std::uint8_t>(payload[1]);
  if (version != kBinaryLayoutVersion)
    throw std::invalid_argument("binary frame of layout version " + std::to_string(version) + ": this build reads version " +
                                std::to_string(kBinaryLayoutVersion));
  const auto type = static_cast<std::uint8_t>(payload[2]);
  if (type != kBinaryInvoke && type != kBinaryResult)
    throw std::invalid_argument("binary frame of unknown message type " + std::to_string(type));
  return type;
}

BinaryInvoke decode_invoke(std::string_view payload) {
  constexpr const char* what = "binary invoke frame";
  BinaryInvoke m;
  m.expect_warm = check_header(payload, kBinaryInvoke, kFlagExpectWarm, what) & kFlagExpectWarm;
  Fields f(payload, what);
  m.seq = f.u64("seq");
  m.request.arrival_us = f.i64("arrival_us");
  ActionRecord& a = m.request.action;
  f.str("ns", a.ns);
  f.str("name", a.name);
  f.str("kind", a.kind);
  f.str("entry", a.entry);
  a.memory_mb = f.i64("memory_mb");
  a.timeout_ms = f.i64("timeout_ms");
  a.cpu_millicores = f.i64("cpu_millicores");
  a.version = f.i64("version");
  a.updated_us = f.i64("updated_us");
  a.revision = f.i64("revision");
  f.str("activation_id", m.request.activation_id);
  f.str("params", m.request.params_json);
  f.end();
  return m;
}

BinaryResult decode_result(std::string_view payload) {
  constexpr const char* what = "binary result frame";
  BinaryResult m;
  const bool with_state = check_header(payload, kBinaryResult, kFlagState, what) & kFlagState;
  Fields f(payload, what);
  m.seq = f.u64("seq");
  ActivationRecord& a = m.activation;
  f.str("id", a.id);
  f.str("ns", a.ns);
  f.str("action", a.action);
  a.start_us = f.i64("start_us");
  a.end_us = f.i64("end_us");
  a.wait_us = f.i64("wait_us");
  a.init_us = f.i64("init_us");
  a.run_us = f.i64("run_us");
  f.str("start_kind", a.start_kind);
  f.str("invoker", a.invoker);
  f.str("container", a.container);
  f.str("status", a.status);
  f.str("result", a.result_json);
  f.str("freshen", a.freshen_json);
  if (a.freshen_json.size() > 4096) a.freshen_json.clear();  // as the JSON form: a report over 4 KiB is dropped
  const std::uint32_t logs = f.u32("logs");
  // Each log line takes at least its 4-byte length: a count the frame cannot hold is refused before reserving.
  if (logs > (payload.size() - kHeaderBytes) / 4)
    throw std::invalid_argument(std::string(what) + ": " + std::to_string(logs) + " log lines cannot fit in " +
                                std::to_string(payload.size()) + " bytes");
  a.logs.resize(logs);
  for (std::string& line : a.logs) f.str("logs", line);
  if (with_state) f.str("state", m.state_json.emplace());
  f.end();
  return m;
}

std::optional<std::uint64_t> binary_seq(std::string_view payload) {
  if (payload.size() < kHeaderBytes + 8 || !is_binary_frame(payload)) return std::nullopt;
  try {
    binary_type(payload);
  } catch (const std::invalid_argument&) {
    return std::nullopt;
  }
  return Fields(payload, "binary frame").u64("seq");
}

}  // namespace hearth::net::wire
