// AnswerLog: lets a blocking invoke be answered before its activation record's SQLite commit without
// losing what was answered if the controller is killed (docs/warm-path.md, "What changed (branch
// warm-c1-6)"). The rule it serves: an answered record survives a kill of the controller process — before,
// the answer waited for the record's commit (ChaosFound.ABlockingAnswerIsOnDiskBeforeItIsSent); now it
// waits only for append(), which copies the record into a file mapped MAP_SHARED: once copied, the bytes are
// in the kernel's page cache and outlive the process exactly as a WAL commit under synchronous=NORMAL does
// (neither survives a power loss before the kernel writes its pages back). The store's writer thread commits
// the record with its next batch (Store::put_activation_by_writer) and release()s the slot. On the next
// start, recover() returns every record still held — answered, perhaps never committed — and the caller
// stores those the database lacks, before it opens a new log (which starts empty).
// Layout: `slots` fixed slots of kSlotBytes; each: u32 state (0 free, kHeld), u32 length, u64 checksum
// (FNV-1a of the payload), then the payload: the record in the wire's binary result layout
// (net/wire_binary.h) followed by its cause and annotations (u32 length + bytes each). A slot's state is
// stored last, after its payload, so a process killed in the middle of append() leaves it free.
// append() returns nullopt when the encoded record does not fit a slot or every slot is held: the caller
// then answers after the commit, as before. Thread-safe (a mutex over the free list: O(1) per call, plus
// a copy of the record, ~200 bytes for a no-op's); not shared between processes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "net/records.h"

namespace hearth::controller {

class Store;

class AnswerLog {
 public:
  static constexpr std::size_t kSlotBytes = 4096;
  static constexpr std::size_t kDefaultSlots = 512;  // 2 MiB: answers awaiting their commit at once

  // Creates (or empties) `path`, allocates its blocks for `slots` (a full disk fails here, not later with
  // SIGBUS at a store into the mapping) and maps it; throws std::runtime_error naming the path and the call.
  AnswerLog(const std::string& path, std::size_t slots = kDefaultSlots);
  ~AnswerLog();
  AnswerLog(const AnswerLog&) = delete;
  AnswerLog& operator=(const AnswerLog&) = delete;

  // Copies `record` into a free slot and returns it (hold it until the record is committed), or nullopt.
  std::optional<std::size_t> append(const net::ActivationRecord& record);
  void release(std::size_t slot);
  std::size_t held() const;  // slots held now (tests, metrics)

  // The records held in the log at `path` (none if it does not exist); slots whose checksum does not match
  // are skipped. Throws std::runtime_error if the file exists but cannot be read.
  static std::vector<net::ActivationRecord> recover(const std::string& path);

 private:
  std::string path_;
  std::size_t slots_;
  unsigned char* base_ = nullptr;
  mutable std::mutex mu_;
  std::vector<std::size_t> free_;
  std::string buffer_;  // encoding scratch (under mu_)
};

// Stores each of `answered` (AnswerLog::recover's) that `store` does not have yet, and flushes; returns how
// many it stored. A record committed before the kill is left as it is.
std::size_t store_answered(Store& store, const std::vector<net::ActivationRecord>& answered);

}  // namespace hearth::controller
