// StateReportFilter (invoker/state_report_filter.h): which state reports a result may omit.
#include "invoker/state_report_filter.h"

#include <gtest/gtest.h>

namespace hearth::invoker {
namespace {

net::InvokerState report() {
  net::InvokerState s;
  s.memory_mb = 4096;
  s.used_mb = 512;
  s.busy_mb = 0;
  s.busy = 0;
  s.prewarmed = 1;
  s.idle = {{"guest/f", 1}, {"guest/g", 1}};
  s.evictable = {{"guest/g", 256, 5000}, {"guest/f", 256, 0}};
  return s;
}

TEST(StateReportFilter, TheFirstReportOfAConnectionGoesWhole) {
  StateReportFilter f;
  EXPECT_FALSE(f.unchanged(report(), 1000));
  f.sent(report(), 1000);
  EXPECT_TRUE(f.unchanged(report(), 1000));
  f.reset();  // a new connection
  EXPECT_FALSE(f.unchanged(report(), 1000));
}

TEST(StateReportFilter, ContainersIdlingOnAreNoChange) {
  StateReportFilter f(100);
  f.sent(report(), 1000);
  net::InvokerState later = report();
  for (auto& e : later.evictable) e.idle_ms += 60'000;  // a minute later, nothing used
  EXPECT_TRUE(f.unchanged(later, 61'000));
}

TEST(StateReportFilter, AContainerUsedAgainIsAChangeOnlyPastTheSlack) {
  StateReportFilter f(100);
  f.sent(report(), 1000);
  net::InvokerState reused = report();  // guest/f ran again and is idle again: idle_ms 0 again
  reused.evictable[0].idle_ms += 50;
  EXPECT_TRUE(f.unchanged(reused, 1050));  // idle since 50 ms later: within the slack
  reused.evictable[0].idle_ms += 250;
  EXPECT_FALSE(f.unchanged(reused, 1300));  // guest/f idle since 1300 instead of 1000
}

TEST(StateReportFilter, EveryOtherFieldIsCompared) {
  StateReportFilter f;
  f.sent(report(), 1000);
  const auto changed = [&](auto&& edit) {
    net::InvokerState s = report();
    edit(s);
    return !f.unchanged(s, 1000);
  };
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.memory_mb = 2048; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.used_mb += 256; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.busy_mb = 256; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.busy = 1; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.prewarmed = 0; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.idle["guest/f"] = 2; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.idle.erase("guest/g"); }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { std::swap(s.evictable[0], s.evictable[1]); }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.evictable[1].memory_mb = 512; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.evictable.pop_back(); }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.idle_mb = 128; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.snapshot_bytes = 1 << 20; }));
  EXPECT_TRUE(changed([](net::InvokerState& s) { s.releases = 1; }));
  EXPECT_FALSE(changed([](net::InvokerState&) {}));
}

}  // namespace
}  // namespace hearth::invoker
