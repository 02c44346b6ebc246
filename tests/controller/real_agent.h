// An InvokerAgent with real (unsandboxed) runtimes, joined to a controller on 127.0.0.1 and serving on
// its own thread until destroyed: a 4 GB invoker of 8 workers keeping containers 10 minutes, heartbeats
// every 100 ms; `tune` changes the config before it joins. For live tests of the wire with real functions,
// with python_action() to deploy.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "invoker/invoker_agent.h"
#include "invoker/runtime_container_factory.h"

namespace hearth::controller::testing {

class RealAgent {
 public:
  RealAgent(std::uint16_t controller_port, const std::string& name, const std::string& token, const std::string& code_dir,
            const std::function<void(invoker::InvokerAgentConfig&)>& tune = {})
      : factory(code_dir, /*sandboxed=*/false, 0) {
    invoker::InvokerAgentConfig c;
    c.controller = "127.0.0.1:" + std::to_string(controller_port);
    c.token = token;
    c.name = name;
    c.pool.invoker_memory_mb = 4096;
    c.pool.concurrency = 8;
    c.pool.keepalive = "ttl:10m";
    c.pool.reap_interval_ms = 50;
    c.heartbeat_ms = 100;
    if (tune) tune(c);
    agent = std::make_unique<invoker::InvokerAgent>(factory, c);
    thread = std::thread([this] { agent->serve(); });
  }
  ~RealAgent() {
    agent->stop();
    thread.join();
    agent.reset();
  }
  RealAgent(const RealAgent&) = delete;
  RealAgent& operator=(const RealAgent&) = delete;

  invoker::RuntimeContainerFactory factory;
  std::unique_ptr<invoker::InvokerAgent> agent;
  std::thread thread;
};

// A Python action of namespace "guest", revision 1.
inline net::ActionRecord python_action(const std::string& name, const std::string& code, std::int64_t memory_mb = 256) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "python:3";
  a.code = code;
  a.memory_mb = memory_mb;
  a.revision = 1;
  return a;
}

}  // namespace hearth::controller::testing
