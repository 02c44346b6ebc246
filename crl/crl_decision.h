// How CrlScheduler (crl/crl_scheduler.h) turns Q-values into a decision: kStepwise walks the episode with
// one forward pass per action (Algorithm 1 of seed 002 as written); kOnePass scores every action with one
// pass and starts functions in Q order while they fit. Torch-free, so `hearth` can check a spec before it
// loads the CRL plugin.
#pragma once

#include <stdexcept>
#include <string>

namespace hearth::crl {

enum class CrlDecision { kStepwise, kOnePass };

inline const char* crl_decision_name(CrlDecision d) { return d == CrlDecision::kOnePass ? "one-pass" : "stepwise"; }

// "stepwise" or "one-pass"; anything else throws std::invalid_argument naming the text.
inline CrlDecision parse_crl_decision(const std::string& text) {
  if (text == "stepwise") return CrlDecision::kStepwise;
  if (text == "one-pass") return CrlDecision::kOnePass;
  throw std::invalid_argument("CRL decision '" + text + "' is not stepwise or one-pass");
}

}  // namespace hearth::crl
