// Burst specs (trace/burst_workload.h): parsing, malformed input, and merging with a background.
#include "trace/burst_workload.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hearth::trace {
namespace {

using model::seconds;

// A background of `n` functions with one invocation of function 0 every `every` µs over `span`.
class EverySource final : public InvocationSource {
 public:
  EverySource(model::Micros every, model::Micros span) : every_(every), span_(span) {}
  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    const model::Micros batch_end = next_ + model::kMicrosPerMinute;
    for (; next_ < span_ && next_ < batch_end; next_ += every_) {
      model::Invocation inv;
      inv.id = id_++;
      inv.arrival_us = next_;
      inv.exec_us = 7;
      out.push_back(inv);
    }
    return !out.empty();
  }
  model::Micros span_us() const override { return span_; }

 private:
  model::Micros every_, span_, next_ = 0;
  model::InvocationId id_ = 0;
};

Workload background(model::Micros every, model::Micros span) {
  Workload w;
  for (model::FunctionId i = 0; i < 3; ++i) {
    model::FunctionSpec f;
    f.id = i;
    f.name = "fn" + std::to_string(i);
    f.warm_us = 1000 * (i + 1);
    w.functions.push_back(f);
  }
  w.invocations = std::make_unique<EverySource>(every, span);
  w.description = "test";
  return w;
}

std::vector<model::Invocation> drain(Workload& w) {
  std::vector<model::Invocation> all, batch;
  while (w.invocations->next_batch(batch)) all.insert(all.end(), batch.begin(), batch.end());
  return all;
}

TEST(BurstSpec, ParsesSpikesAndSteps) {
  const auto b = parse_bursts("spike:fn=F,at=120s,rate=200/s,for=10s; step:fn=3,at=5m,rate=3000/m");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].kind, Burst::Kind::kSpike);
  EXPECT_EQ(b[0].function, "F");
  EXPECT_EQ(b[0].at_us, seconds(120));
  EXPECT_DOUBLE_EQ(b[0].rate_per_second, 200);
  EXPECT_EQ(b[0].duration_us, seconds(10));
  EXPECT_EQ(b[1].kind, Burst::Kind::kStep);
  EXPECT_EQ(b[1].at_us, seconds(300));
  EXPECT_DOUBLE_EQ(b[1].rate_per_second, 50);
  EXPECT_EQ(b[1].duration_us, 0);
  EXPECT_DOUBLE_EQ(parse_bursts("step:fn=a,at=90,rate=36/h")[0].rate_per_second, 0.01);
}

// The message names the item and what is wrong.
void expect_error(const std::string& spec, const std::string& expected) {
  try {
    parse_bursts(spec);
    ADD_FAILURE() << spec << ": no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << spec << ": " << e.what();
  }
}

TEST(BurstSpec, RejectsMalformedSpecsSayingWhatAndWhere) {
  expect_error("", "empty");
  expect_error("wave:fn=F,at=1s,rate=1", "burst 1 ('wave:fn=F,at=1s,rate=1'): unknown kind 'wave'");
  expect_error("spike:fn=F,at=1s,rate=1", "burst 1 ('spike:fn=F,at=1s,rate=1'): a spike needs for=");
  expect_error("step:fn=F,at=1s,rate=1;step:fn=F,rate=1", "burst 2 ('step:fn=F,rate=1'): missing at=");
  expect_error("step:fn=F,at=1s", "missing rate=");
  expect_error("step:at=1s,rate=2", "missing fn=");
  expect_error("step:fn=F,at=1s,rate=-3/s", "rate '-3/s' is not a positive number");
  expect_error("step:fn=F,at=1s,rate=3/day", "rate '3/day' has an unknown unit");
  expect_error("step:fn=F,at=soon,rate=3", "at: 'soon' is not a duration");
  expect_error("step:fn=F,at=1x,rate=3", "at: '1x' has an unknown unit");
  expect_error("step:fn=F,at=1s,rate=3,size=2", "unknown key 'size'");
  expect_error("step:fn=F,at=1s,rate", "'rate' is not key=value");
  expect_error("step fn=F", "expected KIND:key=value");
  expect_error("spike:fn=F,at=1s,rate=3,for=0s", "for= must be positive");
}

TEST(BurstWorkload, MergesInArrivalOrderWithConsecutiveIds) {
  // Background: function 0 every 250 ms for 3 minutes. Spike: fn1 at 10/s from 61.05 s for 1 s;
  // step: function 2 (by id) at 1/s from 170 s to the end.
  Workload w = with_bursts(background(model::millis(250), model::minutes(3)),
                           parse_bursts("spike:fn=fn1,at=61.05s,rate=10/s,for=1s;step:fn=2,at=170s,rate=1"));
  EXPECT_EQ(w.invocations->span_us(), model::minutes(3));
  EXPECT_NE(w.description.find("spike fn1 10/s from 61.05s to 62.05s"), std::string::npos) << w.description;
  const auto all = drain(w);
  ASSERT_EQ(all.size(), 720u + 10u + 10u);
  std::size_t spike = 0, step = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].id, i);
    if (i) {
      EXPECT_LE(all[i - 1].arrival_us, all[i].arrival_us) << i;
    }
    if (all[i].function == 1) {
      EXPECT_EQ(all[i].arrival_us, model::millis(61050) + static_cast<model::Micros>(spike) * model::millis(100));
      EXPECT_EQ(all[i].exec_us, 2000);  // the function's warm time
      ++spike;
    }
    step += all[i].function == 2;
  }
  EXPECT_EQ(spike, 10u);
  EXPECT_EQ(step, 10u);  // 170 s .. 179 s
  const BurstWindow win = burst_window(background(1, model::minutes(3)),
                                       parse_bursts("spike:fn=fn1,at=61s,rate=10/s,for=1s;step:fn=2,at=170s,rate=1"));
  EXPECT_EQ(win.start_us, seconds(61));
  EXPECT_EQ(win.end_us, model::minutes(3));
}

TEST(BurstWorkload, BurstsPastTheBackgroundComeAfterIt) {
  Workload w = with_bursts(background(seconds(1), seconds(10)), parse_bursts("spike:fn=0,at=100s,rate=2/s,for=90s"));
  EXPECT_EQ(w.invocations->span_us(), seconds(190));
  const auto all = drain(w);
  ASSERT_EQ(all.size(), 10u + 180u);
  EXPECT_EQ(all.back().arrival_us, seconds(100) + model::millis(500) * 179);
  for (std::size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].arrival_us, all[i].arrival_us);
}

TEST(BurstWorkload, RejectsUnknownFunctions) {
  EXPECT_THROW(with_bursts(background(seconds(1), seconds(10)), parse_bursts("spike:fn=nope,at=1s,rate=1,for=1s")),
               std::invalid_argument);
  EXPECT_THROW(with_bursts(background(seconds(1), seconds(10)), parse_bursts("spike:fn=3,at=1s,rate=1,for=1s")),
               std::invalid_argument);  // ids are 0..2
}

TEST(BurstWorkload, ATinyRateGivesOneArrivalNotAnOverflowedTime) {
  // 1e-14/s: one arrival every 1e20 us, past int64. The spike holds only its first arrival; the second
  // must not come back from the time arithmetic as a wrapped (negative) time that never ends the stream.
  Workload w = with_bursts(background(seconds(1), seconds(10)), parse_bursts("spike:fn=1,at=2s,rate=1e-14/s,for=5s"));
  const auto all = drain(w);
  ASSERT_EQ(all.size(), 10u + 1u);
  std::size_t burst = 0;
  for (std::size_t i = 0; i < all.size(); ++i) {
    EXPECT_GE(all[i].arrival_us, 0) << i;
    if (i) {
      EXPECT_LE(all[i - 1].arrival_us, all[i].arrival_us) << i;
    }
    if (all[i].function == 1) {
      EXPECT_EQ(all[i].arrival_us, seconds(2));
      ++burst;
    }
  }
  EXPECT_EQ(burst, 1u);
}

TEST(BurstSpec, RejectsABurstEndingPastInt64Time) {
  // at + for overflows int64 microseconds: an error, not a negative end.
  EXPECT_THROW(parse_bursts("spike:fn=0,at=1500000000h,rate=1,for=1500000000h"), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::trace
