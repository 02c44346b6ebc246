// LocalDispatcher's split runs: a claimed warm run begun on the caller's thread and waited for by its
// RunMultiplexer together with others (docs/warm-path.md, branch warm-inv6).
#include <cstdio>
#include <exception>
#include <nlohmann/json.hpp>

#include "invoker/local_dispatcher.h"

namespace hearth::invoker {

namespace {

// A run that threw (only resource exhaustion can): it ends, its container is not reused.
RunOutcome thrown(const std::exception& e) {
  RunOutcome o;
  o.status = "whisk internal error";
  o.result_json = nlohmann::json{{"error", std::string("the invoker could not run the action: ") + e.what()}}.dump();
  o.container_broken = true;
  return o;
}

}  // namespace

class LocalDispatcher::SplitRun final : public RunMultiplexer::Run {
 public:
  SplitRun(LocalDispatcher& d, Execution e) : d_(d), e_(std::move(e)) {}
  int fd() const override { return e_.container->reply_fd(); }
  net::FrameClock::time_point deadline() const override { return e_.container->run_deadline(); }
  bool step() override {
    std::optional<RunOutcome> o;
    try {
      o = e_.container->continue_run();
    } catch (const std::exception& e) {
      o = thrown(e);
    }
    if (!o) return false;
    d_.end_split(e_, std::move(*o));
    return true;
  }
  void expire() override { d_.end_split(e_, e_.container->expire_run()); }

 private:
  LocalDispatcher& d_;
  Execution e_;
};

void LocalDispatcher::begin_split(Execution e, RunMultiplexer& runs) {
  begin_execution(e);
  std::optional<RunOutcome> ended;
  if (e.container) {
    try {
      ended = e.container->begin_run(e.req.params_json, e.req.action.timeout_ms);
    } catch (const std::exception& ex) {
      ended = thrown(ex);
    }
    if (!ended) {
      ++split_runs_;
      runs.add(std::make_unique<SplitRun>(*this, std::move(e)));
      return;
    }
  }
  end_split(e, std::move(ended));
}

void LocalDispatcher::end_split(Execution& e, std::optional<RunOutcome> outcome) {
  const bool keep = outcome && record_outcome(std::move(*outcome), e.rec);
  try {
    end_execution(e, keep);
  } catch (const std::exception& ex) {  // as a worker's task: said, and the others go on
    std::fprintf(stderr, "hearth invoker: a warm run's end failed: %s\n", ex.what());
  }
}

}  // namespace hearth::invoker
