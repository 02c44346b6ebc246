// IdleIndex: the simulator's idle containers of each function, grouped by node, so that the invocation
// path's questions cost O(1) however many containers a function keeps:
//   "the most recently / longest idled container of f on node n" (newest / oldest),
//   "how many idle containers of f does n hold" (count), "which nodes hold one" (for_each_node).
// Each (function, node) pair holding idle containers has one record: its count and a doubly-linked list of
// its containers in idle order (oldest first). A function's records form a list in the order the nodes
// first came to hold one (a node whose last container leaves drops out; if it holds one again it rejoins
// at the end), which is the order for_each_node visits. Records are found through an open-addressing hash
// table keyed by (function, node) (linear probing, deletion by backward shift, no tombstones).
// It knows containers only by id: the caller (sim::Cluster) keeps the containers and calls remove() for
// one it indexed with add().
// Cost: add, remove, newest, oldest, count: O(1) expected. for_each_node O(nodes visited), for_each O(containers
// visited). Memory: 8 bytes per function, 8 bytes per container id ever seen, 24 bytes per record and
// 16-32 bytes per record in the table.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "model/time.h"
#include "sim/huge_page_allocator.h"

namespace hearth::sim {

class IdleIndex {
 public:
  using Id = std::uint32_t;
  static constexpr Id kNil = std::numeric_limits<Id>::max();

  explicit IdleIndex(std::size_t functions) : functions_(functions) {}

  // Container `id` of `fn` on `node` becomes idle: the newest of its (function, node) group.
  void add(Id id, std::uint32_t fn, std::uint32_t node);
  // Removes container `id` (added and not yet removed) from the index.
  void remove(Id id);
  // The newest (last added) / oldest idle container of `fn` on `node`; kNil if none.
  Id newest(std::uint32_t fn, std::uint32_t node) const {
    const Id r = find(key(fn, node));
    return r == kNil ? kNil : records_[r].newest;
  }
  Id oldest(std::uint32_t fn, std::uint32_t node) const {
    const Id r = find(key(fn, node));
    return r == kNil ? kNil : records_[r].oldest;
  }
  std::int32_t count(std::uint32_t fn, std::uint32_t node) const {
    const Id r = find(key(fn, node));
    return r == kNil ? 0 : records_[r].count;
  }

  // Starts loading where (fn, node) is looked up (a hint: no effect on the index); prefetch_record, once
  // that is in cache, the record it finds, and returns it (kNil if none) for newest_hint.
  void prefetch(std::uint32_t fn, std::uint32_t node) const {
    if (!table_.empty()) __builtin_prefetch(&table_[home(key(fn, node))]);
  }
  Id prefetch_record(std::uint32_t fn, std::uint32_t node) const {
    const Id r = find(key(fn, node));
    if (r != kNil) __builtin_prefetch(&records_[r]);
    return r;
  }
  // The newest container of record `r` as prefetch_record returned it a little earlier: a hint only (the
  // record may have been freed or reused since), so any container id or kNil.
  Id newest_hint(Id r) const { return r < records_.size() ? records_[r].newest : kNil; }

  // visit(node) for every node holding an idle container of `fn`, in the order they came to hold one.
  template <class Visit>
  void for_each_node(std::uint32_t fn, Visit&& visit) const {
    for (Id r = functions_[fn].first; r != kNil; r = records_[r].next) visit(records_[r].node);
  }
  // visit(node, id) for every idle container of `fn`: node by node (for_each_node's order), oldest first.
  template <class Visit>
  void for_each(std::uint32_t fn, Visit&& visit) const {
    for (Id r = functions_[fn].first; r != kNil; r = records_[r].next)
      for (Id c = records_[r].oldest; c != kNil; c = links_[c].next) visit(records_[r].node, c);
  }

 private:
  struct Record {
    std::uint32_t node;
    std::int32_t count;
    Id oldest, newest;  // its containers
    Id prev, next;      // the function's records
    std::uint32_t fn;
  };
  struct Link {
    Id prev = kNil, next = kNil;  // the container's neighbours in its record's list
    Id record = kNil;
  };
  struct Ends {
    Id first = kNil, last = kNil;  // the function's records
  };
  struct Entry {
    std::uint64_t key;
    Id record;  // kNil: empty
  };

  static std::uint64_t key(std::uint32_t fn, std::uint32_t node) {
    return (static_cast<std::uint64_t>(fn) << 32) | node;
  }
  std::size_t home(std::uint64_t k) const {
    return static_cast<std::size_t>((k * 0x9E3779B97F4A7C15ull) >> shift_);
  }
  Id find(std::uint64_t k) const;
  void insert(std::uint64_t k, Id record);
  void erase(std::uint64_t k);
  void grow();

  std::vector<Ends> functions_;
  HugeVector<Record> records_;
  std::vector<Id> free_records_;
  HugeVector<Link> links_;    // by container id
  HugeVector<Entry> table_;   // size a power of two, at most half full
  std::size_t used_ = 0;
  int shift_ = 64;
};

}  // namespace hearth::sim
