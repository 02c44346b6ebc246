// The policy registry: every placement, keep-alive, prewarm, scaling and pool-manager policy and every arrival
// predictor by name, with its parameters,
// so both engines build policies from the same strings and `hearth policies` can list them.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/function_spec.h"
#include "policy/arrival_predictor.h"
#include "policy/cpu_shares.h"
#include "policy/keepalive.h"
#include "policy/placement.h"
#include "policy/policy_spec.h"
#include "policy/pool_manager.h"
#include "policy/prewarm.h"
#include "policy/request_scheduler.h"
#include "policy/scorpius_placement.h"
#include "policy/scaling.h"

namespace hearth::policy {

// What a policy may know when it is built.
struct PolicyContext {
  std::uint64_t seed = 1;
  std::uint32_t node_count = 1;
  std::span<const model::FunctionSpec> functions;  // indexed by FunctionId; outlives the policy
  // The namespace of functions named without '/' in OpenWhisk's hash (policy/openwhisk_hash.h).
  std::string hash_namespace = "guest";
  // Library data for the `scorpius` placement (hearth sim --libraries); null when the engine has none.
  const LibraryStatus* libraries = nullptr;
};

enum class PolicyKind { kPlacement, kKeepAlive, kPrewarm, kScaling, kPredictor, kPoolManager, kScheduler };
const char* policy_kind_name(PolicyKind k);

struct PolicyInfo {
  PolicyKind kind;
  std::string name;
  std::string summary;
  std::vector<ParamDef> params;
};

// Every registered policy, in a stable order.
const std::vector<PolicyInfo>& all_policies();

// Build a policy from its spec string. Throws std::invalid_argument for an unknown name or bad parameter.
std::unique_ptr<PlacementPolicy> make_placement(std::string_view spec, const PolicyContext& ctx);
std::unique_ptr<KeepAlivePolicy> make_keepalive(std::string_view spec, const PolicyContext& ctx);
// "none" gives nullptr.
std::unique_ptr<PrewarmPolicy> make_prewarm(std::string_view spec, const PolicyContext& ctx);
// "none" and "openwhisk" (no autoscaler: one invocation per container) give nullptr.
std::unique_ptr<ScalingPolicy> make_scaling(std::string_view spec, const PolicyContext& ctx);
// An arrival predictor (policy/arrival_predictor.h), told every function of ctx.functions.
std::unique_ptr<ArrivalPredictor> make_arrival_predictor(std::string_view spec, const PolicyContext& ctx);
// A pool manager (policy/pool_manager.h), told every function of ctx.functions; "none" gives nullptr.
// Its predictor is a nested spec (`incendio:predictor=ewma:alpha=0.5`); a predictor spec with several
// parameters separates them with ';' there (`predictor=NAME:a=1;b=2`), as ',' separates the manager's.
std::unique_ptr<PoolManager> make_pool_manager(std::string_view spec, const PolicyContext& ctx);

// A node's request scheduler (policy/request_scheduler.h): fifo, greedy, exact, incendio, or one
// registered by register_request_scheduler.
std::unique_ptr<RequestScheduler> make_request_scheduler(std::string_view spec, const PolicyContext& ctx);

// Registers a request scheduler built outside hearth_policy (the CRL's `crl:model=DIR`): `info` (kind
// kScheduler, a name no policy of that kind has) is listed by all_policies() and its specs parsed against
// info.params; make_request_scheduler then calls `factory` with the parsed spec. Call at startup, before
// any engine runs and from one thread (not synchronised). Throws std::invalid_argument for a wrong kind
// or a taken name.
using RequestSchedulerFactory =
    std::function<std::unique_ptr<RequestScheduler>(const PolicySpec& spec, const PolicyContext& ctx)>;
void register_request_scheduler(PolicyInfo info, RequestSchedulerFactory factory);

// Presets: named bundles of the specs (`--preset openwhisk`).
struct Preset {
  std::string name;
  std::string summary;
  std::string placement;
  std::string keepalive;
  std::string prewarm;
  // Action memory limits (OpenWhisk's whisk.memory min/max): every function's memory is clamped to
  // [min, max] for the semaphore and the container alike; 0 = no limit.
  model::MegaBytes memory_min_mb = 0;
  model::MegaBytes memory_max_mb = 0;
  // How the simulator's processor sharing weighs invocations (policy/cpu_shares.h): OpenWhisk's presets
  // give Docker's --cpu-shares in proportion to memory, as OpenWhisk's invoker does; the others equal.
  CpuWeights cpu_weights = CpuWeights::kEqual;
  std::string scheduler = "fifo";     // a node's request scheduler (make_request_scheduler)
  std::string pool_manager = "none";  // make_pool_manager
};
const std::vector<Preset>& all_presets();
const Preset* find_preset(std::string_view name);

}  // namespace hearth::policy
