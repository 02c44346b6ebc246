// InvokerAgent: the invoker end of the wire protocol (live/wire.h), what `hearth invoker` runs. It
// connects to a controller, says hello with its name and capacity, then runs every invoke it receives
// on its own container pool — a LocalDispatcher of one invoker, so warm → prewarm → cold → evict by
// the same keep-alive and prewarm policy objects as `hearth sim` — and answers each with the activation
// record and a state report; a heartbeat carrying the state goes out every `heartbeat_ms`. Action code
// arrives once per version and is cached here. serve() returns when the controller goes away or stop()
// is called (from any thread); the destructor drains running invocations and destroys the containers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "live/live_container.h"
#include "live/local_dispatcher.h"

namespace hearth::live {

struct InvokerAgentConfig {
  std::string controller;      // HOST:PORT of the controller's wire listener
  std::string name = "invoker0";  // unique per controller; a restarted invoker reuses its name
  LocalDispatcherConfig pool;  // `invokers` is forced to 1
  int heartbeat_ms = 500;
};

class InvokerAgent {
 public:
  // Connects and sends hello; throws std::runtime_error (or std::invalid_argument for a bad address).
  InvokerAgent(ContainerFactory& factory, InvokerAgentConfig config);
  ~InvokerAgent();
  InvokerAgent(const InvokerAgent&) = delete;
  InvokerAgent& operator=(const InvokerAgent&) = delete;

  // Serves invocations until the connection ends; returns why it ended.
  std::string serve();
  void stop();

 private:
  void send(const std::string& frame);
  void handle_invoke(const std::string& payload);
  void heartbeats();

  InvokerAgentConfig config_;
  int fd_ = -1;
  std::unique_ptr<LocalDispatcher> pool_;
  std::mutex write_mu_;
  std::map<std::string, ActionRecord> actions_;  // "ns/name" → latest version received (reader thread only)
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread heartbeat_;
};

}  // namespace hearth::live
