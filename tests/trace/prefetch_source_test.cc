// PrefetchSource (trace/prefetch_source.h): the inner source's batches in order, its errors rethrown, and
// destruction while the worker is still producing.
#include "trace/prefetch_source.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "trace/synth.h"

namespace hearth::trace {
namespace {

// Batches of `size` invocations, `batches` of them, with FaasCache arrival times; throws at batch
// `throw_at` (or never).
class CountingSource final : public InvocationSource {
 public:
  CountingSource(int batches, int size, int throw_at = -1) : batches_(batches), size_(size), throw_at_(throw_at) {}
  bool next_batch(std::vector<model::Invocation>& out) override {
    out.clear();
    ms_.clear();
    if (made_ == throw_at_) throw std::runtime_error("batch " + std::to_string(made_) + " is malformed");
    if (made_ == batches_) return false;
    for (int i = 0; i < size_; ++i) {
      model::Invocation inv;
      inv.id = next_id_++;
      inv.arrival_us = static_cast<model::Micros>(inv.id) * 10;
      out.push_back(inv);
      ms_.push_back(static_cast<double>(inv.id) / 100.0);
    }
    ++made_;
    return true;
  }
  model::Micros span_us() const override { return 1234; }
  const std::vector<double>* faascache_arrival_ms() const override { return &ms_; }

 private:
  int batches_, size_, throw_at_, made_ = 0;
  model::InvocationId next_id_ = 0;
  std::vector<double> ms_;
};

TEST(PrefetchSource, GivesTheInnerBatchesInOrder) {
  CountingSource inner(50, 7);
  PrefetchSource source(inner);
  EXPECT_EQ(source.span_us(), 1234);
  std::vector<model::Invocation> batch;
  model::InvocationId expect = 0;
  int batches = 0;
  while (source.next_batch(batch)) {
    ASSERT_EQ(batch.size(), 7u);
    ASSERT_NE(source.faascache_arrival_ms(), nullptr);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      EXPECT_EQ(batch[i].id, expect);
      EXPECT_EQ((*source.faascache_arrival_ms())[i], static_cast<double>(expect) / 100.0);
      ++expect;
    }
    ++batches;
  }
  EXPECT_EQ(batches, 50);
  EXPECT_TRUE(batch.empty());
  EXPECT_FALSE(source.next_batch(batch));  // stays at the end
}

TEST(PrefetchSource, RethrowsTheInnerErrorInItsPlace) {
  CountingSource inner(10, 3, /*throw_at=*/4);
  PrefetchSource source(inner);
  std::vector<model::Invocation> batch;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(source.next_batch(batch));
  EXPECT_THROW(
      {
        try {
          source.next_batch(batch);
        } catch (const std::runtime_error& e) {
          EXPECT_STREQ(e.what(), "batch 4 is malformed");
          throw;
        }
      },
      std::runtime_error);
}

TEST(PrefetchSource, StopsWhenDestroyedEarly) {
  CountingSource inner(1000000, 1);
  {
    PrefetchSource source(inner);
    std::vector<model::Invocation> batch;
    ASSERT_TRUE(source.next_batch(batch));
  }  // joins the worker while it waits to hand over its next batch
  SUCCEED();
}

// The synthetic generator through the prefetcher: the same invocations as read directly.
TEST(PrefetchSource, SynthWorkloadIsUnchanged) {
  SynthOptions o;
  o.functions = 300;
  o.minutes = 5;
  Workload direct = synth_workload(o), fetched = synth_workload(o);
  PrefetchSource source(*fetched.invocations);
  std::vector<model::Invocation> a, b;
  std::size_t n = 0;
  while (direct.invocations->next_batch(a)) {
    ASSERT_TRUE(source.next_batch(b));
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
      ASSERT_EQ(a[i].id, b[i].id);
      ASSERT_EQ(a[i].function, b[i].function);
      ASSERT_EQ(a[i].arrival_us, b[i].arrival_us);
      ASSERT_EQ(a[i].exec_us, b[i].exec_us);
    }
    n += a.size();
  }
  EXPECT_FALSE(source.next_batch(b));
  EXPECT_GT(n, 500u);
}

}  // namespace
}  // namespace hearth::trace
