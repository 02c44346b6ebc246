// Sequence: OpenWhisk's action sequences (exec.kind "sequence", exec.components), validated when created
// and run by the controller (OpenWhisk's SequenceActions.scala; docs/freshen.md "Sequences").
// - Stored as an ActionRecord of kind "sequence" whose code is the JSON array of its components' fully
//   qualified names ("/ns/name"); a component is an action or another sequence of the same namespace.
// - Created only if every component exists, the sequence does not reach itself through its components
//   (directly or through nested sequences) and it expands to at most kMaxSequenceActions atomic actions
//   (OpenWhisk's whisk.actionSequenceLimit, 50): else a 400 with OpenWhisk's message.
// - Run: each component is an activation of its own, invoked in order, the result of one the parameters
//   of the next (the sequence's parameters go to the first). A component that does not succeed ends the
//   sequence with its response (OpenWhisk's short circuit); a component deleted since the sequence was
//   created ends it with "Sequence component does not exist.". Each component's record gets `cause` =
//   the sequence's activation id and the annotation causedBy "sequence"; the sequence's own record lists
//   the component activation ids in `logs`, its response is the last component's, its duration is the sum
//   of the components' (OpenWhisk's user time), and it is annotated topmost, path, kind "sequence" and
//   limits (the largest component memory). Nested sequences run as inner sequences (topmost false).
// Thread-safe: a run advances from its components' completions (any thread); nothing blocks.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "controller/library_repository.h"
#include "controller/store.h"
#include "invoker/dispatcher.h"
#include "net/records.h"

namespace hearth::controller {

inline constexpr std::size_t kMaxSequenceActions = 50;
inline constexpr const char* kSequenceKind = "sequence";

// OpenWhisk's messages (Messages.scala).
inline constexpr const char* kSequenceComponentNotFound = "Sequence component does not exist.";
inline constexpr const char* kSequenceIsTooLong = "Too many actions in the sequence.";
inline constexpr const char* kSequenceIsCyclic = "Sequence may not refer to itself.";
inline constexpr const char* kSequenceNoComponent = "No component specified for the sequence.";

// `component` ("/ns/name", "ns/name" or "/_/name") as "/ns/name" with "_" read as `caller_ns`, or "" with
// *error set (malformed, a package path, or another namespace: components run with the caller's key).
std::string qualify_component(const std::string& component, const std::string& caller_ns, std::string* error);
// The components a sequence action stores (its code), in order; throws std::invalid_argument if the
// stored text is not a JSON array of "/ns/name" strings.
std::vector<std::string> sequence_components(const net::ActionRecord& sequence);
// The code a sequence of these (qualified) components stores.
std::string sequence_code(const std::vector<std::string>& components);
// An activation's duration as OpenWhisk reports it: a sequence's is the sum of its components' (run_us),
// any other's its end minus its start.
std::int64_t activation_duration_us(const net::ActivationRecord& r);
// Checks a sequence `name` in `ns` about to be stored with these qualified components: "" if it may be,
// else OpenWhisk's message (a missing component, a cycle back to `name`, more than kMaxSequenceActions
// atomic actions once nested sequences are expanded). Reads the store; O(atomic actions).
std::string check_sequence(Store& store, const std::string& ns, const std::string& name,
                           const std::vector<std::string>& components);

// What a run needs: where component records go, who runs them, how declared libraries resolve.
// `on_component_start` (may be empty) is told each component action as it is dispatched, with the
// component that follows it in the sequence, if any (chain prediction: docs/freshen.md); it returns
// whether it started `next`'s freshen hook, and `next`'s record is then annotated freshen/trigger "chain".
struct SequenceRunner {
  Store& store;
  invoker::Dispatcher& dispatcher;
  std::shared_ptr<const LibraryRepository> libraries;
  std::function<bool(const net::ActionRecord& started, const net::ActionRecord* next)> on_component_start;
};

// Runs `sequence` (kind "sequence") with `params_json` (a JSON object) as activation `activation_id`;
// calls `done` once with the sequence's record (not stored: the caller stores it). `runner` must outlive
// the run.
void run_sequence(const SequenceRunner& runner, const net::ActionRecord& sequence, std::string params_json,
                  std::string activation_id, std::function<void(net::ActivationRecord)> done);

}  // namespace hearth::controller
