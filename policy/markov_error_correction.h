// MarkovErrorCorrection: HotC's Markov-chain correction of a forecast (the "exponential smoothing +
// Markov chain" of HotC, the baseline of seed 002 §VIII-A), for one series:
//   - each observed minute gives the forecast's relative error e = (actual − forecast) / max(forecast, 1)
//     (the max keeps a near-zero forecast from making every error huge);
//   - e falls in one of the states cut by `bounds` (ascending; default −0.5, −0.1, 0.1, 0.5: five states
//     "far over", "over", "right", "under", "far under" the forecast); state j holds [b_{j−1}, b_j);
//   - transitions between consecutive observed states are counted; each state keeps its errors' mean;
//   - correct(f) = max(0, f + E · max(f, 1)) with E = Σ_j P(current → j) · mean error of j, the expected
//     next error given the current state; f unchanged until the current state has a transition out.
// Deterministic; no I/O. Cost: observe O(states); correct O(states). Memory O(states²).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hearth::policy {

class MarkovErrorCorrection {
 public:
  explicit MarkovErrorCorrection(std::vector<double> bounds = {-0.5, -0.1, 0.1, 0.5});
  void observe(double forecast, double actual);
  double correct(double forecast) const;
  std::size_t states() const { return bounds_.size() + 1; }
  // The state of relative error e (0 = below the first bound).
  std::size_t state_of(double e) const;
  // The expected next relative error from the current state (0 before any transition out of it).
  double expected_error() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint32_t> transitions_;  // states × states, row = from
  std::vector<double> error_sum_;
  std::vector<std::uint32_t> error_count_;
  std::size_t current_;
  bool has_current_ = false;
};

}  // namespace hearth::policy
