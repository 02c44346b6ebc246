// Records: what the controller and an invoker exchange about functions and their runs — an action (a
// deployed function: code, limits, revision), an invocation request, and the activation record a run
// produces. Plain values; the controller stores them (controller/store.h), the wire carries them
// (net/wire.h), an invoker runs them (invoker/).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "net/code_text.h"

namespace hearth::net {

// Libraries (docs/libraries.md): an action declares at most kMaxDeclaredLibraries names of the controller's
// library repository; their dependency closure (at most kMaxLibraryRefs .deb files, each at most
// kMaxLibraryBytes) is what an invoker prepares.
inline constexpr std::size_t kMaxDeclaredLibraries = 16;
inline constexpr std::size_t kMaxLibraryRefs = 64;
inline constexpr std::int64_t kMaxLibraryBytes = 32 << 20;
// The most libraries a controller's plan asks one invoker to prepare in advance (library_prepare).
inline constexpr std::size_t kMaxPlannedLibraries = 4096;

// One library as the wire names it: its repository name and the SHA-256 (64 lowercase hex) and size of
// its .deb, which identify it everywhere (the invoker's cache is keyed on the digest).
struct LibraryRef {
  std::string name;
  std::string sha256;
  std::int64_t bytes = 0;
  bool operator==(const LibraryRef&) const = default;
};
// A library name as repositories and the wire may give it (Debian's package-name characters, ≤ 100).
inline bool is_library_name(const std::string& s) {
  return !s.empty() && s.size() <= 100 && s.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.+-") == std::string::npos;
}
inline bool is_sha256_hex(const std::string& s) {
  return s.size() == 64 && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

struct ActionRecord {
  std::string ns;
  std::string name;
  std::string kind;      // "python:3", "nodejs:20", "native"
  // Source text (python, nodejs) or base64 of a shared object (native), shared by every copy of the
  // record (net/code_text.h): copying an action never copies its code.
  CodeText code;
  std::string entry = "main";
  std::int64_t memory_mb = 256;
  std::int64_t timeout_ms = 60'000;
  // The CPU limit (limits.cpu, in cores, kept as whole millicores): the container's cgroup CPU quota and
  // the cores the request scheduler admits its runs with. 0: none given, the invoker's default.
  std::int64_t cpu_millicores = 0;
  std::int64_t version = 0;     // OpenWhisk's semver patch: 1 when created, bumped on every update
  // The code's identity for caches and containers: store-wide and never repeated, not even after the
  // action is deleted and created again (version restarts at 1 then, as OpenWhisk's does), nor across
  // restarts. Every put gets a new one, so anything keyed on it never runs another put's code.
  std::int64_t revision = 0;
  std::int64_t updated_us = 0;  // wall-clock µs since the epoch
  // The libraries it declared (`hearth action create --lib`, the "libraries" annotation), as given.
  std::vector<std::string> libraries{};
  // Their dependency closure, resolved by the controller when it ships the code to an invoker (wire
  // only; empty in the store): what the invoker's library cache prepares and the sandbox mounts.
  std::vector<LibraryRef> library_refs{};
};

struct ActivationRecord {
  std::string id;  // 32 hex characters, as OpenWhisk
  std::string ns;
  std::string action;
  std::int64_t start_us = 0, end_us = 0;  // wall-clock µs since the epoch
  std::int64_t wait_us = 0, init_us = 0, run_us = 0;
  std::string start_kind;  // cold | warm | prewarm | zygote (a cold start forked from a zygote) | snapshot (restored)
  std::string invoker;
  std::string container;
  std::string status;       // success | application error | developer error | whisk internal error
  std::string result_json;  // the function's result or {"error": ...}
  std::vector<std::string> logs;  // a sequence's: its components' activation ids, in order (as OpenWhisk)
  // Set by the controller, never taken from an invoker: the activation that caused this one (a
  // component's sequence, OpenWhisk's `cause`), and annotations beyond the standard ones, a JSON array
  // of {"key","value"} ("" = none): a sequence's topmost/path/kind/limits, a component's causedBy, a
  // freshen run's record (docs/freshen.md).
  std::string cause;
  std::string annotations_json;
  // From the invoker: what the function's freshen wrappers did since its container's previous run (the
  // runtime's report, a JSON object, docs/freshen.md); "" when nothing.
  std::string freshen_json;
};

struct InvocationRequest {
  ActionRecord action;
  std::string params_json;  // a JSON object
  std::string activation_id;
  std::int64_t arrival_us = 0;  // wall-clock µs since the epoch
};

// Wall-clock µs since the epoch: the clock of activation records and of InvocationRequest::arrival_us.
inline std::int64_t wall_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The record of `request` before it ran: its id, namespace and action, nothing else filled in.
inline ActivationRecord record_for(const InvocationRequest& request) {
  ActivationRecord rec;
  rec.id = request.activation_id;
  rec.ns = request.action.ns;
  rec.action = request.action.name;
  return rec;
}

}  // namespace hearth::net
