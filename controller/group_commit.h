// GroupCommit: lets the thread that completes several invocations in a row commit their activation
// records in one transaction instead of one each. While a GroupCommit is open on a thread, a write that
// would commit at once on that thread (Store::put_activation with a `written` callback: a blocking
// invoke's answer waits for it) registers its flush here instead (GroupCommit::defer) and returns; the
// outermost scope's end runs each registered flush once, on that thread, so the answers go out after one
// commit for the whole group. RemoteDispatcher's reader opens one over the results a single read of its
// connection brought in (under load, many), and closes it as soon as no whole frame is buffered — a lone
// result still commits before the reader waits for the next, so nothing waits for later traffic.
// Nested scopes join the outermost. Not copyable; cost per deferral: a lookup in a short vector.
#pragma once

#include <functional>
#include <vector>

namespace hearth::controller {

class GroupCommit {
 public:
  GroupCommit();
  ~GroupCommit();  // runs the deferred flushes (outermost scope only)
  GroupCommit(const GroupCommit&) = delete;
  GroupCommit& operator=(const GroupCommit&) = delete;

  // With a scope open on this thread: remembers `flush` under `key` (once per key; a later deferral
  // with the same key joins the first) and returns true. Without one: false, and the caller commits now.
  static bool defer(const void* key, std::function<void()> flush);
  // How many flushes the scopes of this thread ran, and how many deferrals they absorbed (tests).
  static std::size_t flushes_run();
  static std::size_t deferrals();

 private:
  bool outermost_;
};

}  // namespace hearth::controller
