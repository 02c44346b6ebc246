#include "controller/sequence.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <utility>

#include "controller/api.h"
#include "controller/entity_name.h"
#include "controller/freshen_annotation.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

// Splits "/ns/name" into its two names (already qualified: both valid entity names).
std::pair<std::string, std::string> split_qualified(const std::string& q) {
  const auto slash = q.find('/', 1);
  return {q.substr(1, slash - 1), q.substr(slash + 1)};
}

// Counts the atomic actions `components` expand to (adding to *count), false with *error set on a
// missing component, a reference back to (ns, name), or more than kMaxSequenceActions.
bool expand(Store& store, const std::string& ns, const std::string& name, const std::vector<std::string>& components,
            std::size_t depth, std::size_t* count, std::string* error) {
  for (const std::string& c : components) {
    const auto [cns, cname] = split_qualified(c);
    if (cns == ns && cname == name) {
      *error = kSequenceIsCyclic;
      return false;
    }
    const auto action = store.get_action(cns, cname);
    if (!action) {
      *error = kSequenceComponentNotFound;
      return false;
    }
    if (action->kind == kSequenceKind) {
      // A stored sequence was checked when stored, but a component may have been replaced since: the
      // depth bound keeps a cycle among older sequences from recursing without end.
      if (depth > kMaxSequenceActions) {
        *error = kSequenceIsCyclic;
        return false;
      }
      if (!expand(store, ns, name, sequence_components(*action), depth + 1, count, error)) return false;
    } else if (++*count > kMaxSequenceActions) {
      *error = kSequenceIsTooLong;
      return false;
    }
  }
  return true;
}

// One sequence activation in progress (a nested sequence is a Run of its own).
class Run : public std::enable_shared_from_this<Run> {
 public:
  using Finished = std::function<void(net::ActivationRecord, std::int64_t max_memory_mb)>;
  Run(const SequenceRunner& runner, net::ActionRecord sequence, std::string params_json, std::string id,
      std::string cause, std::shared_ptr<std::size_t> atomic_count, Finished finished)
      : runner_(runner), sequence_(std::move(sequence)), id_(std::move(id)), cause_(std::move(cause)),
        atomic_count_(std::move(atomic_count)), finished_(std::move(finished)), input_(std::move(params_json)),
        start_us_(net::wall_us()) {}

  void start() {
    try {
      components_ = sequence_components(sequence_);
    } catch (const std::invalid_argument& e) {
      return fail("application error", e.what());
    }
    if (components_.empty()) return fail("application error", kSequenceNoComponent);
    step();
  }

 private:
  void step() {
    if (next_ == components_.size()) return finish();
    const auto [cns, cname] = split_qualified(components_[next_]);
    std::optional<net::ActionRecord> action;
    try {
      action = runner_.store.get_action(cns, cname);
    } catch (const StoreError& e) {
      return fail("whisk internal error", std::string("Sequence activation failed: ") + e.what());
    }
    if (!action) return fail("application error", kSequenceComponentNotFound);
    ++next_;
    auto self = shared_from_this();
    if (action->kind == kSequenceKind) {  // an inner sequence: blocking by definition, not topmost
      const std::string inner_id = new_activation_id();
      auto inner = std::make_shared<Run>(runner_, *action, input_, inner_id, id_, atomic_count_,
                                         [self](net::ActivationRecord r, std::int64_t max_mb) {
                                           self->runner_.store.put_activation(net::ActivationRecord(r));
                                           self->absorb(std::move(r), max_mb);
                                         });
      return inner->start();
    }
    if (*atomic_count_ >= kMaxSequenceActions) return fail("application error", kSequenceIsTooLong);
    ++*atomic_count_;
    if (!action->libraries.empty()) {
      try {
        if (!runner_.libraries) throw std::invalid_argument("this controller has no library repository (--library-repo DIR)");
        action->library_refs = runner_.libraries->resolve(action->libraries);
      } catch (const std::exception& e) {
        return fail("whisk internal error", std::string("cannot resolve the component's libraries: ") + e.what());
      }
    }
    const bool chained = freshened_next_;  // the previous component started this one's hook
    freshened_next_ = false;
    if (runner_.on_component_start) {
      std::optional<net::ActionRecord> following;
      if (next_ < components_.size()) {
        const auto [fns, fname] = split_qualified(components_[next_]);
        following = runner_.store.get_action(fns, fname);
        if (following && following->kind == kSequenceKind) following.reset();
      }
      freshened_next_ = runner_.on_component_start(*action, following ? &*following : nullptr);
    }
    const std::int64_t memory_mb = action->memory_mb;
    net::InvocationRequest inv{std::move(*action), std::move(input_), new_activation_id(), net::wall_us()};
    runner_.dispatcher.dispatch(std::move(inv), [self, memory_mb, chained](net::ActivationRecord r) {
      r.cause = self->id_;
      r.annotations_json = json::array({{{"key", "causedBy"}, {"value", kSequenceKind}}}).dump();
      annotate_freshen(r, chained ? "chain" : nullptr);
      self->runner_.store.put_activation(net::ActivationRecord(r));  // queued before the sequence's own
      self->absorb(std::move(r), memory_mb);
    });
  }

  // OpenWhisk's SequenceAccounting.maybe: the component's id joins the logs, its duration the sequence's,
  // its response becomes the next input (or ends the sequence if it is not a success).
  void absorb(net::ActivationRecord r, std::int64_t memory_mb) {
    logs_.push_back(r.id);
    duration_us_ += activation_duration_us(r);
    max_memory_mb_ = std::max(max_memory_mb_, memory_mb);
    status_ = r.status;
    result_json_ = r.result_json;
    input_ = r.result_json;
    if (r.status != "success") return finish();
    const json next = json::parse(input_, nullptr, false);
    if (!next.is_object()) return fail("application error", "a component's result is not a JSON object");
    step();
  }

  void fail(const std::string& status, const std::string& message) {
    status_ = status;
    result_json_ = json{{"error", message}}.dump();
    finish();
  }

  void finish() {
    net::ActivationRecord rec;
    rec.id = id_;
    rec.ns = sequence_.ns;
    rec.action = sequence_.name;
    rec.start_us = start_us_;
    rec.end_us = net::wall_us();
    rec.run_us = duration_us_;
    rec.start_kind = kSequenceKind;
    rec.status = status_.empty() ? "success" : status_;
    rec.result_json = result_json_.empty() ? "{}" : result_json_;
    rec.logs = std::move(logs_);
    rec.cause = cause_;
    json annotations = json::array({{{"key", "topmost"}, {"value", cause_.empty()}},
                                    {{"key", "path"}, {"value", sequence_.ns + "/" + sequence_.name}},
                                    {{"key", "kind"}, {"value", kSequenceKind}}});
    if (!cause_.empty()) annotations.push_back({{"key", "causedBy"}, {"value", kSequenceKind}});
    if (max_memory_mb_ > 0)
      annotations.push_back({{"key", "limits"},
                             {"value", {{"timeout", sequence_.timeout_ms}, {"memory", max_memory_mb_}, {"logs", 10}}}});
    rec.annotations_json = annotations.dump();
    finished_(std::move(rec), max_memory_mb_);
  }

  const SequenceRunner& runner_;
  net::ActionRecord sequence_;
  std::string id_, cause_;
  std::shared_ptr<std::size_t> atomic_count_;  // shared with nested runs: the topmost sequence's count
  Finished finished_;
  std::string input_;
  std::int64_t start_us_;
  std::vector<std::string> components_;
  std::size_t next_ = 0;
  bool freshened_next_ = false;
  std::vector<std::string> logs_;
  std::int64_t duration_us_ = 0, max_memory_mb_ = 0;
  std::string status_, result_json_;
};

}  // namespace

std::int64_t activation_duration_us(const net::ActivationRecord& r) {
  return r.start_kind == kSequenceKind ? r.run_us : r.end_us - r.start_us;
}

std::string qualify_component(const std::string& component, const std::string& caller_ns, std::string* error) {
  std::vector<std::string> parts;
  std::size_t start = component.starts_with('/') ? 1 : 0;
  while (start <= component.size()) {
    const auto slash = std::min(component.find('/', start), component.size());
    parts.push_back(component.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.size() != 2) {
    *error = "the sequence component '" + component + "' is not a fully qualified action name (/namespace/action)" +
             (parts.size() == 3 ? "; packages are not supported" : "");
    return "";
  }
  const std::string ns = parts[0] == "_" ? caller_ns : parts[0];
  for (const std::string* n : {&ns, static_cast<const std::string*>(&parts[1])})
    if (!valid_entity_name(*n)) {
      *error = "the sequence component '" + component + "': " + entity_name_error("name", *n);
      return "";
    }
  if (ns != caller_ns) {
    *error = "the sequence component '" + component + "' is in another namespace than '" + caller_ns + "'";
    return "";
  }
  return "/" + ns + "/" + parts[1];
}

std::vector<std::string> sequence_components(const net::ActionRecord& sequence) {
  const json j = json::parse(sequence.code.str(), nullptr, false);
  std::vector<std::string> out;
  if (j.is_array())
    for (const json& c : j) {
      if (!c.is_string()) break;
      const std::string s = c.get<std::string>();
      const auto slash = s.find('/', 1);
      if (!s.starts_with('/') || slash == std::string::npos || s.find('/', slash + 1) != std::string::npos) break;
      out.push_back(s);
    }
  if (!j.is_array() || out.size() != j.size())
    throw std::invalid_argument("the sequence " + sequence.ns + "/" + sequence.name +
                                " does not hold a JSON array of /namespace/action components");
  return out;
}

std::string sequence_code(const std::vector<std::string>& components) { return json(components).dump(); }

std::string check_sequence(Store& store, const std::string& ns, const std::string& name,
                           const std::vector<std::string>& components) {
  if (components.empty()) return kSequenceNoComponent;
  std::size_t count = 0;
  std::string error;
  expand(store, ns, name, components, 0, &count, &error);
  return error;
}

void run_sequence(const SequenceRunner& runner, const net::ActionRecord& sequence, std::string params_json,
                  std::string activation_id, std::function<void(net::ActivationRecord)> done) {
  auto run = std::make_shared<Run>(runner, sequence, std::move(params_json), std::move(activation_id), "",
                                   std::make_shared<std::size_t>(0),
                                   [done = std::move(done)](net::ActivationRecord r, std::int64_t) { done(std::move(r)); });
  run->start();
}

}  // namespace hearth::controller
