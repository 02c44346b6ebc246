// Test helper: polls `pred` every `every` until it holds or `within` has passed, for progress that other
// threads or processes make; true as soon as it holds (checked once more at the end).
#pragma once

#include <chrono>
#include <thread>

namespace hearth::testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds within, std::chrono::milliseconds every = std::chrono::milliseconds(1)) {
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    if (pred()) return true;
    std::this_thread::sleep_for(every);
  }
  return pred();
}

}  // namespace hearth::testing
