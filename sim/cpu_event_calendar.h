// CpuEventCalendar: EventQueue's kCpuDone events (one or a few per busy node, each for about the node's
// next finish, mostly under a second ahead; one pushed and one popped per completion), in (time, seq) order
// exactly as one heap would give them, but without a pop's walk through a heap of every node's event
// (~9 levels at 512 nodes: ~150 instructions per completion in round 6's callgrind).
// A calendar: events before `end_` (the current bucket's end) wait in a small heap (TimedHeap, usually
// a handful); later ones are appended to one of kBuckets buckets of kBucketUs µs (an intrusive list
// through a pool of entries: no allocation per event, a bucket is a 4-byte head) or, beyond the ring, to
// an overflow heap. When the small heap runs empty the next non-empty bucket (found through a bit set)
// or the overflow's earliest event, whichever comes first, becomes current: its events move into the
// small heap. Each event moves at most once; the small heap holds every pending event before end_ and
// every other one is at or after end_, so its top is the earliest of all. The bucket width (256 µs) was
// the best of 256 µs - 8 ms in callgrind's instruction counts at 50,000 functions on 512 nodes (the
// 500-function sample: the same at 256 µs and 2 ms).
// Times must not go below the last popped event's.
// Cost: push O(1) (or O(log s) into the small heap s, or O(log o) into the overflow o); pop O(log s)
// plus the buckets skipped (64 per word of the bit set).
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

#include "model/time.h"
#include "sim/timed_heap.h"

namespace hearth::sim {

class CpuEventCalendar {
 public:
  using Entry = TimedHeap::Entry;

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }

  void push(const Entry& e) {
    ++size_;
    if (e.time < end_) {
      current_.push(e);
    } else if (e.time - end_ < kRingUs) {
      const std::size_t b = bucket_of(e.time);
      std::uint32_t slot;
      if (free_ != kNil) {
        slot = free_;
        free_ = pool_[slot].next;
      } else {
        slot = static_cast<std::uint32_t>(pool_.size());
        pool_.push_back({});
      }
      pool_[slot] = Linked{e, heads_[b]};
      heads_[b] = slot;
      occupied_[b / 64] |= std::uint64_t{1} << (b % 64);
      ++bucketed_;
    } else {
      overflow_.push(e);
    }
  }
  // The earliest event (not empty()).
  const Entry& top() {
    if (current_.empty()) refill();
    return current_.top();
  }
  Entry pop() {
    if (current_.empty()) refill();
    --size_;
    return current_.pop();
  }

 private:
  static constexpr int kBucketBits = 8;  // 256 µs
  static constexpr model::Micros kBucketUs = model::Micros{1} << kBucketBits;
  static constexpr std::size_t kBuckets = 4096;  // about 1.05 s
  static constexpr model::Micros kRingUs = kBucketUs * static_cast<model::Micros>(kBuckets);
  static constexpr std::uint32_t kNil = UINT32_MAX;

  struct Linked {
    Entry e;
    std::uint32_t next;
  };

  static std::size_t bucket_of(model::Micros time) {
    return static_cast<std::size_t>(time >> kBucketBits) & (kBuckets - 1);
  }
  // The first non-empty bucket at or after `from` in ring order (bucketed_ > 0).
  std::size_t next_occupied(std::size_t from) const {
    std::size_t word = from / 64;
    std::uint64_t bits = occupied_[word] & (~std::uint64_t{0} << (from % 64));
    while (bits == 0) {
      word = (word + 1) % occupied_.size();
      bits = occupied_[word];
    }
    return word * 64 + static_cast<std::size_t>(std::countr_zero(bits));
  }
  // The small heap is empty and size_ > 0: makes the earliest bucket (or the overflow's earliest event's
  // bucket) current. Every bucketed event lies in [end_, end_ + kRingUs), so the bucket found first from
  // end_'s in ring order holds the earliest of them.
  void refill() {
    model::Micros start = model::kNever;
    if (bucketed_ > 0) {
      const std::size_t from = bucket_of(end_);
      const std::size_t b = next_occupied(from);
      start = end_ + static_cast<model::Micros>((b + kBuckets - from) % kBuckets) * kBucketUs;
    }
    if (!overflow_.empty()) start = std::min(start, overflow_.top().time & ~(kBucketUs - 1));
    end_ = start + kBucketUs;
    if (bucketed_ > 0) {
      const std::size_t b = bucket_of(start);
      for (std::uint32_t slot = heads_[b]; slot != kNil;) {
        const Linked& l = pool_[slot];
        current_.push(l.e);
        const std::uint32_t next = l.next;
        pool_[slot].next = free_;
        free_ = slot;
        slot = next;
        --bucketed_;
      }
      heads_[b] = kNil;
      occupied_[b / 64] &= ~(std::uint64_t{1} << (b % 64));
    }
    while (!overflow_.empty() && overflow_.top().time < end_) current_.push(overflow_.pop());
  }

  TimedHeap current_;   // every pending event before end_
  TimedHeap overflow_;  // events at least the ring beyond end_ when pushed
  model::Micros end_ = kBucketUs;  // the current bucket's end (the ring starts there)
  std::array<std::uint32_t, kBuckets> heads_ = make_heads();
  std::array<std::uint64_t, kBuckets / 64> occupied_{};
  std::vector<Linked> pool_;
  std::uint32_t free_ = kNil;
  std::size_t bucketed_ = 0;
  std::size_t size_ = 0;

  static std::array<std::uint32_t, kBuckets> make_heads() {
    std::array<std::uint32_t, kBuckets> h;
    h.fill(kNil);
    return h;
  }
};

}  // namespace hearth::sim
