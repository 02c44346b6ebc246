#include "policy/registry.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <stdexcept>

#include "policy/ewma_predictor.h"
#include "policy/exp_smoothing_predictor.h"
#include "policy/greedy_dual_keepalive.h"
#include "policy/hotc_pool_manager.h"
#include "policy/hpa_scaling.h"
#include "policy/hybrid_histogram_keepalive.h"
#include "policy/hyperfaas_scaling.h"
#include "policy/incendio_pool_manager.h"
#include "policy/incendio_scheduler.h"
#include "policy/knative_scaling.h"
#include "policy/learned_predictors.h"
#include "policy/openwhisk_keepalive.h"
#include "policy/openwhisk_placement.h"
#include "policy/openwhisk_prewarm.h"
#include "policy/openwhisk_static_prewarm.h"
#include "policy/request_schedulers.h"
#include "policy/simple_placement.h"
#include "policy/scorpius_placement.h"
#include "policy/snapshot_release_keepalive.h"
#include "policy/sophon_placement.h"
#include "policy/sticky_max_available_placement.h"
#include "policy/ttl_keepalive.h"

namespace hearth::policy {
namespace {

using PT = ParamType;

const PolicyInfo* find_info(PolicyKind kind, const std::string& name) {
  for (const PolicyInfo& p : all_policies())
    if (p.kind == kind && p.name == name) return &p;
  return nullptr;
}

// Parses `text` as a policy of `kind`; unknown names list the valid ones.
PolicySpec parse(PolicyKind kind, std::string_view text) {
  const std::string name = spec_name(text);
  const PolicyInfo* info = find_info(kind, name);
  if (!info) {
    std::string names;
    for (const PolicyInfo& p : all_policies())
      if (p.kind == kind) names += (names.empty() ? "" : ", ") + p.name;
    if (kind == PolicyKind::kPrewarm || kind == PolicyKind::kScaling || kind == PolicyKind::kPoolManager)
      names += ", none";
    throw std::invalid_argument(std::string("unknown ") + policy_kind_name(kind) + " policy '" + name + "' (" +
                                names + ")");
  }
  return parse_policy_spec(text, info->params);
}

// "nodejs+python" → the runtimes, for prewarm policy `policy`.
std::vector<model::RuntimeKind> parse_runtimes(const std::string& runtimes, const char* policy) {
  std::vector<model::RuntimeKind> out;
  std::size_t start = 0;
  while (start <= runtimes.size()) {
    const auto plus = runtimes.find('+', start);
    const std::string r = runtimes.substr(start, plus == std::string::npos ? std::string::npos : plus - start);
    if (r == "nodejs") out.push_back(model::RuntimeKind::kNodejs);
    else if (r == "python") out.push_back(model::RuntimeKind::kPython);
    else if (r == "native") out.push_back(model::RuntimeKind::kNative);
    else throw std::invalid_argument(std::string("prewarm '") + policy + "': runtimes: unknown runtime '" + r +
                                     "' (nodejs, python, native)");
    if (plus == std::string::npos) break;
    start = plus + 1;
  }
  return out;
}

std::vector<StemCellConfig> stem_cell_configs(const Params& p) {
  std::vector<StemCellConfig> configs;
  for (model::RuntimeKind r : parse_runtimes(p.get_string("runtimes"), "openwhisk")) {
    StemCellConfig c;
    c.runtime = r;
    c.memory_mb = p.get_int("memory");
    c.initial_count = static_cast<int>(p.get_int("initial"));
    c.min_count = static_cast<int>(p.get_int("min"));
    c.max_count = static_cast<int>(p.get_int("max"));
    c.threshold = static_cast<int>(p.get_int("threshold"));
    c.increment = static_cast<int>(p.get_int("increment"));
    c.ttl_us = p.get_duration("ttl");
    configs.push_back(c);
  }
  return configs;
}

// A count parameter of scaling policy `policy` as the int32 the policies take; throws if it does not fit
// (a cast would truncate 2^32 + 1 to 1).
std::int32_t int32_param(const Params& p, const std::string& name, const char* policy) {
  const std::int64_t v = p.get_int(name);
  if (v < std::numeric_limits<std::int32_t>::min() || v > std::numeric_limits<std::int32_t>::max())
    throw std::invalid_argument(std::string("scaling '") + policy + "': " + name + " " + std::to_string(v) +
                                " is out of range");
  return static_cast<std::int32_t>(v);
}

}  // namespace

const char* policy_kind_name(PolicyKind k) {
  switch (k) {
    case PolicyKind::kPlacement: return "placement";
    case PolicyKind::kKeepAlive: return "keepalive";
    case PolicyKind::kPrewarm: return "prewarm";
    case PolicyKind::kScaling: return "scaling";
    case PolicyKind::kPredictor: return "predictor";
    case PolicyKind::kPoolManager: return "pool-manager";
    case PolicyKind::kScheduler: return "scheduler";
  }
  return "policy";
}

namespace {

// The registered policies: the built-in ones, then any register_request_scheduler added.
std::vector<PolicyInfo>& policy_list() {
  static std::vector<PolicyInfo> policies = {
      {PolicyKind::kPlacement, "openwhisk",
       "OpenWhisk ShardingContainerPoolBalancer: Java-hashCode home invoker among the managed invokers, "
       "co-prime step probing for memory-semaphore room; if none has room, random (force) or wait at the controller",
       {{"managed", PT::kDouble, "1", "fraction of invokers for managed actions (OpenWhisk: 0.9; 1 = all)"},
        {"overload", PT::kString, "force", "no invoker has room: force (a random one, OpenWhisk) or wait"}}},
      {PolicyKind::kPlacement, "random", "uniformly random healthy node", {}},
      {PolicyKind::kPlacement, "max-memory", "healthy node with the most unreserved memory", {}},
      {PolicyKind::kPlacement, "sophon",
       "Sophon container-grained: WARM rule among nodes with an idle container (MA most available memory, "
       "SR first on the sticky sequence), else COLD rule among sampled nodes (MA most available memory, "
       "MC minimum eviction cost)",
       {{"rules", PT::kString, "MA/MA", "WARM/COLD: MA or SR / MA or MC"},
        {"sample", PT::kInt, "10", "candidates sampled by the MA and MC rules (0 = all)"},
        {"lambda", PT::kDouble, "0.3", "MC: a victim idle for t seconds costs exp(-lambda t)"},
        {"ties", PT::kString, "random", "equally good nodes: random (seeded) or lowest (node id)"}}},
      {PolicyKind::kPlacement, "scorpius",
       "Scorpius (docs/scorpius.md): a node with an idle container, else one of the function's code servers, "
       "else the Eq. 7 lookup (most prepared library bytes) among nodes not overloaded; needs --libraries",
       {}},
      {PolicyKind::kPlacement, "sticky-ma",
       "Sticky-Max Available: minimise alpha x sticky-sequence position / n + (1 - alpha) x memory load",
       {{"alpha", PT::kDouble, "0.3", "weight of stickiness against load, in [0, 1]"}}},
      {PolicyKind::kKeepAlive, "ttl", "fixed time-to-live after last use; LRU eviction under pressure",
       {{"ttl", PT::kDuration, "10m", "idle time before an idle container is destroyed"}}},
      {PolicyKind::kKeepAlive, "lru", "keep forever; least recently used evicted under memory pressure", {}},
      {PolicyKind::kKeepAlive, "greedy-dual",
       "FaasCache Greedy-Dual: priority = clock + frequency x cold-start cost / memory; lowest evicted", {}},
      {PolicyKind::kKeepAlive, "hybrid-histogram",
       "Shahrad et al. ATC'20: per-app idle-time histogram gives prewarm (p5) and keep-alive (p99) windows",
       {{"range", PT::kDuration, "4h", "histogram range; also the fallback keep-alive"},
        {"head", PT::kDouble, "5", "percentile giving the prewarm window"},
        {"tail", PT::kDouble, "99", "percentile giving the keep-alive window"},
        {"margin", PT::kDouble, "0.1", "prewarm x (1-margin), keep-alive x (1+margin)"},
        {"min_samples", PT::kInt, "10", "fewer idle times than this: not representative"},
        {"max_cv", PT::kDouble, "2", "idle-time coefficient of variation above this: not representative"}}},
      {PolicyKind::kKeepAlive, "snapshot-and-release",
       "FaaSnap: after `idle`, checkpoint the idle container to the node's disk and release its memory; a later "
       "cold start there restores (base + image/rate) instead (docs/faasnap.md)",
       {{"idle", PT::kDuration, "1m", "idle time before the container is snapshotted and released"},
        {"ttl", PT::kDuration, "10m", "keep-alive of a function whose restore is not faster than its cold start"},
        {"disk", PT::kInt, "65536", "snapshot store per node, MB (LRU)"},
        {"base", PT::kDuration, "475ms", "restore set-up before any page is read (runsc, measured)"},
        {"rate", PT::kDouble, "360", "restore copy rate, MB/s (runsc, measured)"},
        {"image", PT::kDouble, "1", "snapshot image MB per MB of function memory"}}},
      {PolicyKind::kKeepAlive, "openwhisk",
       "OpenWhisk invoker pool: pause after 10 s idle, destroy after 10 min; LRU eviction",
       {{"ttl", PT::kDuration, "10m", "idle time before destruction"},
        {"pause", PT::kDuration, "10s", "idle time before the container is paused"},
        {"unpause", PT::kDuration, "5ms", "extra start-up of a warm start from a paused container"}}},
      {PolicyKind::kPrewarm, "openwhisk",
       "OpenWhisk reactive stem cells: desired = min(max(min, cold/threshold x increment), max) per node",
       {{"runtimes", PT::kString, "nodejs+python", "stem-cell runtimes, joined with +"},
        {"memory", PT::kInt, "256", "stem-cell memory (MB); serves functions needing no more"},
        {"initial", PT::kInt, "2", "stem cells per runtime at start"},
        {"min", PT::kInt, "1", "minCount"},
        {"max", PT::kInt, "4", "maxCount"},
        {"threshold", PT::kInt, "1", "cold starts per increment"},
        {"increment", PT::kInt, "1", "stem cells added per threshold cold starts"},
        {"ttl", PT::kDuration, "2m", "unused stem cells are destroyed after this"},
        {"interval", PT::kDuration, "1m", "how often desired counts are recomputed"}}},
      {PolicyKind::kPrewarm, "openwhisk-static",
       "OpenWhisk <= 2020 static stem cells: count per runtime and node, matched on runtime and exact memory, "
       "replaced at once after use, never evicted",
       {{"runtimes", PT::kString, "nodejs", "stem-cell runtimes, joined with +"},
        {"memory", PT::kInt, "256", "stem-cell memory (MB); serves functions needing exactly this"},
        {"count", PT::kInt, "2", "stem cells per runtime and node"},
        {"interval", PT::kDuration, "1m", "how often a replacement that did not fit is retried"}}},
      {PolicyKind::kScaling, "openwhisk",
       "no autoscaler (same as none): one invocation per container, a cold start per excess invocation", {}},
      {PolicyKind::kScaling, "knative",
       "Knative KPA + activator: buffer while no container has a free slot; every tick desired = "
       "ceil(mean concurrency over the stable window / target), panic window when over threshold",
       {{"target", PT::kDouble, "10", "target concurrency per container"},
        {"cc", PT::kInt, "0", "containerConcurrency, hard limit per container (0 = ceil(target))"},
        {"stable", PT::kDuration, "60s", "stable window"},
        {"panic", PT::kDuration, "6s", "panic window"},
        {"threshold", PT::kDouble, "200", "panic when panic-window demand >= this % of ready capacity"},
        {"tick", PT::kDuration, "2s", "autoscaler tick"},
        {"grace", PT::kDuration, "30s", "scale-to-zero grace period"},
        {"scale_down_rate", PT::kDouble, "2", "at most ready/rate containers removed per tick"}}},
      {PolicyKind::kScaling, "hyperfaas",
       "HyperFaaS multi-phase: 1 add a worker to the container (sharing its CPU quota) under CPU/memory "
       "watermarks, 2 bounce to another container with room or borrow a worker of an under-utilised one, "
       "3 once the overload persists, start containers in the background while phase-1 containers buffer",
       {{"slots", PT::kInt, "10", "workers a container starts with and falls back to"},
        {"max_slots", PT::kInt, "40", "phase-1 cap per container"},
        {"cores", PT::kInt, "10", "CPU quota of a container (cores), shared by its running invocations"},
        {"worker_mb", PT::kInt, "2", "memory per worker beyond the first (MB)"},
        {"cpu", PT::kDouble, "0.8", "CPU watermark: busy cores / cores"},
        {"memory", PT::kDouble, "0.9", "memory watermark: used / capacity"},
        {"persist", PT::kDouble, "1", "phase 3 once the overload lasted this x the function's cold start"},
        {"low", PT::kDouble, "0.5", "phase 2 borrows workers of containers running <= low x cores (0: off)"},
        {"window", PT::kDuration, "30s", "reclaim: keep ceil(peak concurrency over this window / slots)"},
        {"tick", PT::kDuration, "2s", "how often slots fall back and idle containers are reclaimed"}}},
      {PolicyKind::kScaling, "hpa",
       "Kubernetes HPA on CPU (OpenFaaS on Kubernetes): every sync desired = ceil(pods x utilisation / "
       "target) outside the tolerance, scale-down stabilised over a window, scale-up +100 % or +4 per period",
       {{"target", PT::kDouble, "0.8", "target CPU utilisation (used / requested)"},
        {"tolerance", PT::kDouble, "0.1", "no change while |utilisation / target - 1| <= this"},
        {"cores", PT::kInt, "1", "CPU request (= limit) of a pod, cores"},
        {"cc", PT::kInt, "0", "invocations a pod runs at once (0 = unlimited)"},
        {"min", PT::kInt, "1", "minReplicas"},
        {"max", PT::kInt, "20", "maxReplicas"},
        {"sync", PT::kDuration, "15s", "sync period (--horizontal-pod-autoscaler-sync-period)"},
        {"down", PT::kDuration, "300s", "scale-down stabilisation window"},
        {"period", PT::kDuration, "15s", "scale-up policy period"},
        {"up_percent", PT::kDouble, "100", "scale-up policy: at most this % more pods per period"},
        {"up_pods", PT::kInt, "4", "scale-up policy: or this many more pods per period (the larger wins)"}}},
      // Arrival predictors (docs/incendio.md); to add one, add its entry here and its builder in
      // predictor_builders() below.
      {PolicyKind::kPredictor, "ewma", "exponentially weighted moving average of arrivals per minute",
       {{"alpha", PT::kDouble, "0.3", "smoothing factor in (0, 1]: weight of the newest minute"}}},
      {PolicyKind::kPredictor, "exp-smoothing",
       "HotC's exponential smoothing: Brown's double smoothing (level + trend) of arrivals per minute",
       {{"alpha", PT::kDouble, "0.3", "smoothing factor in (0, 1)"}}},
      {PolicyKind::kPoolManager, "incendio",
       "Incendio container manager: keep an idle container while term + init exceeds 60 s / predicted "
       "arrivals, else terminate it; prewarm predicted demand by priority where memory allows",
       {{"predictor", PT::kString, "ewma", "arrival predictor spec (parameters joined with ;)"},
        {"interval", PT::kDuration, "1m", "how often the pool is updated"},
        {"priority", PT::kString, "param2", "priority model ordering prewarms (param1..param5)"},
        {"min", PT::kDouble, "0.1", "predicted arrivals below this count as none"},
        {"unpredicted", PT::kString, "terminate", "idle containers of functions with no predicted "
                                                  "arrival: terminate or keep (keep-alive decides)"}}},
      {PolicyKind::kPoolManager, "hotc",
       "HotC live container pool: exponential-smoothing forecast corrected by a Markov chain of its "
       "errors, pool resized to the forecast's concurrency every interval",
       {{"predictor", PT::kString, "exp-smoothing", "arrival predictor spec (parameters joined with ;)"},
        {"interval", PT::kDuration, "1m", "how often the pool is resized"},
        {"min", PT::kDouble, "0.1", "corrected forecasts below this: no containers"},
        {"bounds", PT::kString, "-0.5/-0.1/0.1/0.5", "relative-error state bounds, ascending, joined with /"}}},
      {PolicyKind::kScheduler, "fifo", "oldest first while it fits (a node's queue drains from its head)", {}},
      {PolicyKind::kScheduler, "greedy",
       "Incendio knapsack (Eqs. 5-7) by priority density: priority / (memory/M + cores/V), no SLO guard",
       {{"priority", PT::kString, "param2", "priority model spec: param1..param5, or linear:/loglinear: with ; between weights"},
        {"timeout", PT::kDuration, "0", "T of Eq. 6: requests that waited longer are not chosen (0 = none)"}}},
      {PolicyKind::kScheduler, "exact",
       "Incendio knapsack (Eqs. 5-7) solved exactly: branch and bound over function groups, no SLO guard",
       {{"priority", PT::kString, "param2", "priority model spec: param1..param5, or linear:/loglinear: with ; between weights"},
        {"timeout", PT::kDuration, "0", "T of Eq. 6: requests that waited longer are not chosen (0 = none)"},
        {"budget", PT::kInt, "1000000", "branch-and-bound nodes per decision; past it the best found (>= greedy)"}}},
      {PolicyKind::kScheduler, "incendio",
       "Incendio scheduler without learning: SLO guard first (max(slo, slo-fraction x cold start)), the rest "
       "by the knapsack of Eqs. 5-7 over the priority model of its Function Info Table",
       {{"priority", PT::kString, "param2", "priority model spec: param1..param5, or linear:/loglinear: with ; between weights"},
        {"solver", PT::kString, "greedy", "greedy or exact"},
        {"slo", PT::kDuration, "500ms", "default SLO on the wait (arrival to start)"},
        {"slo-fraction", PT::kDouble, "0.3", "adaptive SLO: this fraction of the function's cold start"},
        {"slo-approach", PT::kDouble, "0.9", "urgent once the wait reaches this fraction of the SLO"},
        {"timeout", PT::kDuration, "0", "T of Eq. 6: requests that waited longer are not chosen (0 = none)"},
        {"budget", PT::kInt, "1000000", "exact: branch-and-bound nodes per decision"}}},
  };
  // The learned predictors (policy/learned_predictors.h) declare their own parameters.
  static const bool learned_added = [] {
    for (const PredictorInfo& i : learned_predictor_infos())
      policies.push_back({PolicyKind::kPredictor, i.name, i.summary, i.params});
    return true;
  }();
  (void)learned_added;
  return policies;
}

std::map<std::string, RequestSchedulerFactory>& scheduler_factories() {
  static std::map<std::string, RequestSchedulerFactory> factories;
  return factories;
}

}  // namespace

const std::vector<PolicyInfo>& all_policies() { return policy_list(); }


void register_request_scheduler(PolicyInfo info, RequestSchedulerFactory factory) {
  if (info.kind != PolicyKind::kScheduler)
    throw std::invalid_argument("register_request_scheduler: '" + info.name + "' is a " +
                                policy_kind_name(info.kind) + " policy, not a scheduler");
  if (find_info(PolicyKind::kScheduler, info.name) || info.name == "none")
    throw std::invalid_argument("register_request_scheduler: scheduler '" + info.name + "' exists already");
  if (!factory) throw std::invalid_argument("register_request_scheduler: '" + info.name + "' has no factory");
  scheduler_factories()[info.name] = std::move(factory);
  policy_list().push_back(std::move(info));
}

std::unique_ptr<RequestScheduler> make_request_scheduler(std::string_view text, const PolicyContext& ctx) {
  const PolicySpec spec = parse(PolicyKind::kScheduler, text);
  const Params& p = spec.params;
  std::unique_ptr<RequestScheduler> made;
  if (spec.name == "fifo") {
    made = std::make_unique<FifoScheduler>();
  } else if (auto f = scheduler_factories().find(spec.name); f != scheduler_factories().end()) {
    made = f->second(spec, ctx);
    if (!made) throw std::invalid_argument("scheduler '" + spec.name + "': its factory built nothing");
  } else {
    KnapsackSchedulerConfig c;
    c.name = spec.name;
    const std::string solver = spec.name == "incendio" ? p.get_string("solver") : spec.name;
    if (solver != "greedy" && solver != "exact")
      throw std::invalid_argument("scheduler '" + spec.name + "': solver '" + solver + "' is not greedy or exact");
    c.solver = solver == "exact" ? KnapsackSolverKind::kExact : KnapsackSolverKind::kGreedy;
    const model::Micros timeout = p.get_duration("timeout");
    if (timeout < 0) throw std::invalid_argument("scheduler '" + spec.name + "': timeout must be 0 (none) or positive");
    c.timeout_us = timeout == 0 ? model::kNever : timeout;
    if (solver == "exact") {
      const std::int64_t budget = p.get_int("budget");
      if (budget <= 0) throw std::invalid_argument("scheduler '" + spec.name + "': budget must be positive");
      c.node_budget = static_cast<std::uint64_t>(budget);
    }
    if (spec.name == "incendio")
      c.slo = SloGuardConfig{p.get_duration("slo"), p.get_double("slo-fraction"), p.get_double("slo-approach")};
    std::unique_ptr<PriorityModel> model;
    try {
      std::string priority = p.get_string("priority");  // ',' separates this spec's own parameters
      std::replace(priority.begin(), priority.end(), ';', ',');
      model = make_priority_model(priority);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("scheduler '" + spec.name + "': priority: " + e.what());
    }
    try {
      made = std::make_unique<IncendioScheduler>(std::move(c), std::move(model));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument("scheduler '" + spec.name + "': " + e.what());
    }
  }
  for (const model::FunctionSpec& f : ctx.functions) made->on_function_added(f);
  return made;
}

std::unique_ptr<PlacementPolicy> make_placement(std::string_view text, const PolicyContext& ctx) {
  const PolicySpec spec = parse(PolicyKind::kPlacement, text);
  if (spec.name == "openwhisk") {
    const double managed = spec.params.get_double("managed");
    if (!(managed > 0 && managed <= 1)) throw std::invalid_argument("placement 'openwhisk': managed must be in (0, 1]");
    const std::string& overload = spec.params.get_string("overload");
    if (overload != "force" && overload != "wait")
      throw std::invalid_argument("placement 'openwhisk': overload '" + overload + "' is not force or wait");
    return std::make_unique<OpenWhiskPlacement>(
        ctx, managed, overload == "wait" ? OpenWhiskPlacement::Overload::kWait : OpenWhiskPlacement::Overload::kForce);
  }
  if (spec.name == "random") return std::make_unique<RandomPlacement>(ctx.seed);
  if (spec.name == "sticky-ma") {
    const double alpha = spec.params.get_double("alpha");
    if (alpha < 0 || alpha > 1) throw std::invalid_argument("placement 'sticky-ma': alpha must be in [0, 1]");
    return std::make_unique<StickyMaxAvailablePlacement>(ctx, alpha);
  }
  if (spec.name == "scorpius") {
    if (!ctx.libraries)
      throw std::invalid_argument("placement 'scorpius' needs library data (hearth sim --libraries FILE)");
    return std::make_unique<ScorpiusPlacement>(*ctx.libraries);
  }
  if (spec.name == "sophon") {
    const std::string& rules = spec.params.get_string("rules");
    const auto slash = rules.find('/');
    const std::string warm = rules.substr(0, slash), cold = slash == std::string::npos ? "" : rules.substr(slash + 1);
    if (warm != "MA" && warm != "SR")
      throw std::invalid_argument("placement 'sophon': warm rule '" + warm + "' in '" + rules + "' is not MA or SR");
    if (cold != "MA" && cold != "MC")
      throw std::invalid_argument("placement 'sophon': cold rule '" + cold + "' in '" + rules + "' is not MA or MC");
    const std::int64_t sample = spec.params.get_int("sample");
    if (sample < 0) throw std::invalid_argument("placement 'sophon': sample must be 0 (all) or positive");
    const double lambda = spec.params.get_double("lambda");
    if (!(lambda >= 0)) throw std::invalid_argument("placement 'sophon': lambda must be 0 or positive");
    const std::string& ties = spec.params.get_string("ties");
    if (ties != "random" && ties != "lowest")
      throw std::invalid_argument("placement 'sophon': ties '" + ties + "' is not random or lowest");
    return std::make_unique<SophonPlacement>(
        ctx, warm == "MA" ? SophonPlacement::WarmRule::kMaxAvailable : SophonPlacement::WarmRule::kStickyRoute,
        cold == "MA" ? SophonPlacement::ColdRule::kMaxAvailable : SophonPlacement::ColdRule::kMinCost,
        static_cast<std::uint32_t>(sample), lambda,
        ties == "random" ? SophonPlacement::Ties::kRandom : SophonPlacement::Ties::kLowestId);
  }
  return std::make_unique<MaxMemoryPlacement>();
}

std::unique_ptr<KeepAlivePolicy> make_keepalive(std::string_view text, const PolicyContext& ctx) {
  const PolicySpec spec = parse(PolicyKind::kKeepAlive, text);
  const Params& p = spec.params;
  if (spec.name == "ttl") return std::make_unique<TtlKeepAlive>(p.get_duration("ttl"));
  if (spec.name == "lru") return std::make_unique<TtlKeepAlive>(model::kNever);
  if (spec.name == "greedy-dual") return std::make_unique<GreedyDualKeepAlive>(ctx);
  if (spec.name == "snapshot-and-release") {
    SnapshotReleaseParams sp;
    sp.idle_us = p.get_duration("idle");
    sp.ttl_us = p.get_duration("ttl");
    sp.disk_mb = static_cast<double>(p.get_int("disk"));
    sp.base_us = p.get_duration("base");
    sp.rate_mb_s = p.get_double("rate");
    sp.image_fraction = p.get_double("image");
    auto policy = std::make_unique<SnapshotReleaseKeepAlive>(sp);
    for (const model::FunctionSpec& f : ctx.functions) policy->on_function_added(f);
    return policy;
  }
  if (spec.name == "openwhisk")
    return std::make_unique<OpenWhiskKeepAlive>(p.get_duration("pause"), p.get_duration("ttl"), p.get_duration("unpause"));
  HybridHistogramParams h;
  h.range_us = p.get_duration("range");
  h.head_percentile = p.get_double("head");
  h.tail_percentile = p.get_double("tail");
  h.margin = p.get_double("margin");
  h.min_samples = p.get_int("min_samples");
  h.max_cv = p.get_double("max_cv");
  if (h.range_us < h.bin_us) throw std::invalid_argument("keepalive 'hybrid-histogram': range must be at least 1m");
  return std::make_unique<HybridHistogramKeepAlive>(ctx, h);
}

std::unique_ptr<PrewarmPolicy> make_prewarm(std::string_view text, const PolicyContext& ctx) {
  if (spec_name(text) == "none") return nullptr;
  const PolicySpec spec = parse(PolicyKind::kPrewarm, text);
  const model::Micros interval = spec.params.get_duration("interval");
  if (interval <= 0) throw std::invalid_argument("prewarm '" + spec.name + "': interval must be positive");
  if (spec.name == "openwhisk-static") {
    const std::int64_t count = spec.params.get_int("count"), memory = spec.params.get_int("memory");
    if (count < 0 || count > 1'000'000) throw std::invalid_argument("prewarm 'openwhisk-static': count must be in [0, 1000000]");
    if (memory <= 0) throw std::invalid_argument("prewarm 'openwhisk-static': memory must be positive");
    return std::make_unique<OpenWhiskStaticPrewarm>(parse_runtimes(spec.params.get_string("runtimes"), "openwhisk-static"),
                                                    memory, static_cast<int>(count), interval);
  }
  return std::make_unique<OpenWhiskPrewarm>(ctx.node_count, stem_cell_configs(spec.params), interval);
}

namespace {

std::unique_ptr<ScalingPolicy> make_scaling_for(std::string_view text) {
  if (spec_name(text) == "none") return nullptr;
  const PolicySpec spec = parse(PolicyKind::kScaling, text);
  const Params& p = spec.params;
  if (spec.name == "openwhisk") return nullptr;
  if (spec.name == "knative") {
    KnativeParams k;
    k.target = p.get_double("target");
    const std::int32_t cc = int32_param(p, "cc", "knative");
    if (cc < 0) throw std::invalid_argument("scaling 'knative': cc must be 0 (= ceil(target)) or positive");
    if (cc == 0 && !(std::ceil(k.target) <= std::numeric_limits<std::int32_t>::max()))
      throw std::invalid_argument("scaling 'knative': target " + std::to_string(k.target) +
                                  " is too large for cc = ceil(target): give cc");
    k.container_concurrency = cc > 0 ? cc : static_cast<std::int32_t>(std::ceil(k.target));
    k.stable_window_us = p.get_duration("stable");
    k.panic_window_us = p.get_duration("panic");
    k.panic_threshold = p.get_double("threshold") / 100.0;
    k.tick_us = p.get_duration("tick");
    k.scale_to_zero_grace_us = p.get_duration("grace");
    k.max_scale_down_rate = p.get_double("scale_down_rate");
    return std::make_unique<KnativeScaling>(k);
  }
  if (spec.name == "hpa") {
    HpaParams k;
    k.target = p.get_double("target");
    k.tolerance = p.get_double("tolerance");
    k.cores = int32_param(p, "cores", "hpa");
    k.container_concurrency = int32_param(p, "cc", "hpa");
    k.min_replicas = int32_param(p, "min", "hpa");
    k.max_replicas = int32_param(p, "max", "hpa");
    k.sync_us = p.get_duration("sync");
    k.down_window_us = p.get_duration("down");
    k.up_period_us = p.get_duration("period");
    k.up_percent = p.get_double("up_percent");
    k.up_pods = int32_param(p, "up_pods", "hpa");
    return std::make_unique<HpaScaling>(k);
  }
  HyperFaaSParams h;
  h.slots = int32_param(p, "slots", "hyperfaas");
  h.max_slots = int32_param(p, "max_slots", "hyperfaas");
  h.cores = int32_param(p, "cores", "hyperfaas");
  h.worker_mb = p.get_int("worker_mb");
  h.persist = p.get_double("persist");
  h.low = p.get_double("low");
  h.cpu_watermark = p.get_double("cpu");
  h.memory_watermark = p.get_double("memory");
  h.window_us = p.get_duration("window");
  h.tick_us = p.get_duration("tick");
  return std::make_unique<HyperFaaSScaling>(h);
}

}  // namespace

std::unique_ptr<ScalingPolicy> make_scaling(std::string_view text, const PolicyContext& ctx) {
  std::unique_ptr<ScalingPolicy> made = make_scaling_for(text);
  if (made)
    for (const model::FunctionSpec& f : ctx.functions) made->on_function_added(f);
  return made;
}

namespace {

// A positive interval parameter of `kind` policy `name`.
model::Micros positive_interval(const Params& p, const char* kind, const std::string& name) {
  const model::Micros interval = p.get_duration("interval");
  if (interval <= 0) throw std::invalid_argument(std::string(kind) + " '" + name + "': interval must be positive");
  return interval;
}

double smoothing_alpha(const Params& p, const std::string& name, bool one_allowed) {
  const double alpha = p.get_double("alpha");
  if (!(alpha > 0 && (one_allowed ? alpha <= 1 : alpha < 1)))
    throw std::invalid_argument("predictor '" + name + "': alpha " + p.values().at("alpha") + " must be in (0, " +
                                (one_allowed ? "1]" : "1)"));
  return alpha;
}

using PredictorBuilder = std::unique_ptr<ArrivalPredictor> (*)(const Params&, const PolicyContext&);

// Every predictor's builder by name (its parameters are declared in all_policies()).
const std::vector<std::pair<std::string, PredictorBuilder>>& predictor_builders() {
  static const std::vector<std::pair<std::string, PredictorBuilder>> builders = {
      {"ewma",
       [](const Params& p, const PolicyContext&) -> std::unique_ptr<ArrivalPredictor> {
         return std::make_unique<EwmaPredictor>(smoothing_alpha(p, "ewma", true));
       }},
      {"exp-smoothing",
       [](const Params& p, const PolicyContext&) -> std::unique_ptr<ArrivalPredictor> {
         return std::make_unique<ExpSmoothingPredictor>(smoothing_alpha(p, "exp-smoothing", false));
       }},
  };
  return builders;
}

// A predictor nested in a pool manager's spec: its own parameters joined with ';' there.
std::unique_ptr<ArrivalPredictor> nested_predictor(const std::string& spec) {
  std::string text = spec;
  std::replace(text.begin(), text.end(), ';', ',');
  return make_arrival_predictor(text, PolicyContext{});  // the manager tells it every function
}

// "-0.5/-0.1/0.1/0.5" → the bounds, ascending.
std::vector<double> parse_bounds(const std::string& text) {
  std::vector<double> bounds;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto slash = text.find('/', start);
    const std::string part = text.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    try {
      bounds.push_back(parse_policy_spec("bound:" + part, {{"b", PT::kDouble, "0", ""}}).params.get_double("b"));
    } catch (const std::invalid_argument&) {
      throw std::invalid_argument("pool-manager 'hotc': bounds '" + text + "': '" + part + "' is not a number");
    }
    if (bounds.size() > 1 && !(bounds.back() > bounds[bounds.size() - 2]))
      throw std::invalid_argument("pool-manager 'hotc': bounds '" + text + "' must be strictly ascending");
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return bounds;
}

}  // namespace

std::unique_ptr<ArrivalPredictor> make_arrival_predictor(std::string_view text, const PolicyContext& ctx) {
  if (auto learned = make_learned_arrival_predictor(text, ctx)) return learned;  // told ctx.functions itself
  const PolicySpec spec = parse(PolicyKind::kPredictor, text);
  for (const auto& [name, build] : predictor_builders())
    if (name == spec.name) {
      std::unique_ptr<ArrivalPredictor> made = build(spec.params, ctx);
      for (const model::FunctionSpec& f : ctx.functions) made->on_function_added(f);
      return made;
    }
  throw std::logic_error("predictor '" + spec.name + "' is declared but has no builder");
}

std::unique_ptr<PoolManager> make_pool_manager(std::string_view text, const PolicyContext& ctx) {
  if (spec_name(text) == "none") return nullptr;
  const PolicySpec spec = parse(PolicyKind::kPoolManager, text);
  const Params& p = spec.params;
  const double min = p.get_double("min");
  if (!(min >= 0)) throw std::invalid_argument("pool-manager '" + spec.name + "': min must be 0 or positive");
  std::unique_ptr<PoolManager> made;
  if (spec.name == "incendio") {
    IncendioPoolParams params;
    params.interval_us = positive_interval(p, "pool-manager", spec.name);
    params.min_arrivals = min;
    const std::string& unpredicted = p.get_string("unpredicted");
    if (unpredicted != "terminate" && unpredicted != "keep")
      throw std::invalid_argument("pool-manager 'incendio': unpredicted '" + unpredicted + "' is not terminate or keep");
    params.terminate_unpredicted = unpredicted == "terminate";
    made = std::make_unique<IncendioPoolManager>(nested_predictor(p.get_string("predictor")),
                                                 make_priority_model(p.get_string("priority")), params);
  } else {
    HotcPoolParams params;
    params.interval_us = positive_interval(p, "pool-manager", spec.name);
    params.min_arrivals = min;
    params.bounds = parse_bounds(p.get_string("bounds"));
    made = std::make_unique<HotcPoolManager>(nested_predictor(p.get_string("predictor")), params);
  }
  for (const model::FunctionSpec& f : ctx.functions) made->on_function_added(f);
  return made;
}

const std::vector<Preset>& all_presets() {
  static const std::vector<Preset> presets = {
      {"openwhisk", "OpenWhisk as users run it: sharding balancer, pause/destroy pool, reactive stem cells",
       "openwhisk", "openwhisk", "openwhisk", 0, 0, CpuWeights::kMemory},
      {"openwhisk-2020",
       "the Sophon chapter's OpenWhisk (commit 18bbac5): 90% managed invokers, pause after 50 ms, 2 static "
       "Node.js 256 MB stem cells; action memory clamped to 128-512 MB (docs/policies.md)",
       "openwhisk:managed=0.9", "openwhisk:pause=50ms", "openwhisk-static", 128, 512, CpuWeights::kMemory},
      {"ttl", "fixed 10-minute keep-alive (the common industry default), OpenWhisk placement", "openwhisk", "ttl:10m",
       "none"},
      {"faascache", "FaasCache Greedy-Dual keep-alive, OpenWhisk placement", "openwhisk", "greedy-dual", "none"},
      {"hybrid-histogram", "Shahrad et al. hybrid histogram keep-alive + pre-loading, OpenWhisk placement",
       "openwhisk", "hybrid-histogram", "none"},
      {"lru", "keep everything until memory pressure, evict least recently used", "openwhisk", "lru", "none"},
      {"native", "the Incendio paper's Native baseline (OpenWhisk: LRU eviction, 10-minute TTL, fifo queue)",
       "openwhisk", "ttl:10m", "none"},
      {"incendio-wo-p",
       "Incendio without its predictor (ablation): Incendio's scheduler (SLO guard + greedy knapsack over param2), "
       "LRU eviction and a fixed 10-minute keep-alive",
       "openwhisk", "ttl:10m", "none", 0, 0, CpuWeights::kEqual, "incendio"},
      {"incendio",
       "Incendio (without CRL): its scheduler (SLO guard + greedy knapsack over param2), its pool manager "
       "(EWMA predictor: keep/terminate/prewarm every minute), LRU keep-alive so that the pool manager decides",
       "openwhisk", "lru", "none", 0, 0, CpuWeights::kEqual, "incendio", "incendio"},
      {"incendio-wo-s", "Incendio without its scheduler (ablation): pool manager and LRU keep-alive, fifo queue",
       "openwhisk", "lru", "none", 0, 0, CpuWeights::kEqual, "fifo", "incendio"},
      {"hotc", "HotC: exponential smoothing + Markov-chain error correction sizes each function's live pool every "
       "minute, LRU keep-alive, fifo queue",
       "openwhisk", "lru", "none", 0, 0, CpuWeights::kEqual, "fifo", "hotc"},
  };
  return presets;
}

const Preset* find_preset(std::string_view name) {
  for (const Preset& p : all_presets())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace hearth::policy
