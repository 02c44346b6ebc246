#include "sim/idle_index.h"

#include <cassert>
#include <utility>

namespace hearth::sim {

IdleIndex::Id IdleIndex::find(std::uint64_t k) const {
  if (table_.empty()) return kNil;
  const std::size_t mask = table_.size() - 1;
  for (std::size_t i = home(k);; i = (i + 1) & mask) {
    const Entry& e = table_[i];
    if (e.record == kNil) return kNil;
    if (e.key == k) return e.record;
  }
}

void IdleIndex::insert(std::uint64_t k, Id record) {
  if (2 * (used_ + 1) > table_.size()) grow();
  const std::size_t mask = table_.size() - 1;
  std::size_t i = home(k);
  while (table_[i].record != kNil) i = (i + 1) & mask;
  table_[i] = Entry{k, record};
  ++used_;
}

// Backward-shift deletion: entries after the hole that could sit in it (their home is not between the
// hole and them) move back, so every probe sequence stays unbroken without tombstones.
void IdleIndex::erase(std::uint64_t k) {
  const std::size_t mask = table_.size() - 1;
  std::size_t hole = home(k);
  while (table_[hole].key != k || table_[hole].record == kNil) {
    assert(table_[hole].record != kNil);
    hole = (hole + 1) & mask;
  }
  for (std::size_t i = (hole + 1) & mask; table_[i].record != kNil; i = (i + 1) & mask) {
    const std::size_t h = home(table_[i].key);
    // Entry i may move to the hole if its home does not lie in the cyclic interval (hole, i].
    if (((i - h) & mask) >= ((i - hole) & mask)) {
      table_[hole] = table_[i];
      hole = i;
    }
  }
  table_[hole].record = kNil;
  --used_;
}

void IdleIndex::grow() {
  HugeVector<Entry> old = std::move(table_);
  const std::size_t size = old.empty() ? 64 : 2 * old.size();
  table_.assign(size, Entry{0, kNil});
  shift_ = 64;
  for (std::size_t s = size; s > 1; s >>= 1) --shift_;
  used_ = 0;
  for (const Entry& e : old)
    if (e.record != kNil) insert(e.key, e.record);
}

void IdleIndex::add(Id id, std::uint32_t fn, std::uint32_t node) {
  const std::uint64_t k = key(fn, node);
  Id r = find(k);
  if (r == kNil) {
    if (free_records_.empty()) {
      r = static_cast<Id>(records_.size());
      records_.emplace_back();
    } else {
      r = free_records_.back();
      free_records_.pop_back();
    }
    Ends& f = functions_[fn];
    records_[r] = Record{node, 0, kNil, kNil, f.last, kNil, fn};
    if (f.last != kNil) records_[f.last].next = r;
    else f.first = r;
    f.last = r;
    insert(k, r);
  }
  if (links_.size() <= id) links_.resize(static_cast<std::size_t>(id) + 1);
  Record& rec = records_[r];
  links_[id] = Link{rec.newest, kNil, r};
  if (rec.newest != kNil) links_[rec.newest].next = id;
  else rec.oldest = id;
  rec.newest = id;
  ++rec.count;
}

void IdleIndex::remove(Id id) {
  Link& l = links_[id];
  assert(l.record != kNil);
  const Id r = l.record;
  Record& rec = records_[r];
  if (l.prev != kNil) links_[l.prev].next = l.next;
  else rec.oldest = l.next;
  if (l.next != kNil) links_[l.next].prev = l.prev;
  else rec.newest = l.prev;
  l = Link{};
  if (--rec.count > 0) return;
  Ends& f = functions_[rec.fn];
  if (rec.prev != kNil) records_[rec.prev].next = rec.next;
  else f.first = rec.next;
  if (rec.next != kNil) records_[rec.next].prev = rec.prev;
  else f.last = rec.prev;
  erase(key(rec.fn, rec.node));
  free_records_.push_back(r);
}

}  // namespace hearth::sim
