// EndOfPass: lets code running on an event-loop thread (the HTTP server's I/O threads) defer work to the
// end of the loop's current pass — after the handlers that are ready now, before the thread next sleeps —
// so that what several handlers of one pass produce can leave together (RemoteDispatcher: the invoke
// frames an I/O thread sends to one invoker in one pass go out in one write; docs/warm-path.md).
// Contract: later(fn) returns false on a thread with no loop installed (the caller then does the work
// itself, now); true: `fn` runs exactly once on this thread's loop, after the handlers already queued
// there, unless the loop is destroyed first (its owner must not let that happen while work is owed: the
// HTTP server runs its loops until every blocking invoke in flight is answered). A loop installs itself
// for its thread's lifetime with an Install; nesting is not supported.
#pragma once

#include <functional>

namespace hearth::net {

class EndOfPass {
 public:
  using Poster = std::function<void(std::function<void()>)>;  // queues a handler on the thread's loop

  // Installs `post` as this thread's loop until the Install is destroyed.
  class Install {
   public:
    explicit Install(Poster post);
    ~Install();
    Install(const Install&) = delete;
    Install& operator=(const Install&) = delete;
  };

  static bool later(std::function<void()> fn);
  static bool available();  // this thread runs an installed loop
};

}  // namespace hearth::net
