// An invoker survives any byte sequence a function writes to its channel fd (issue 11, item 4): real
// Python runtimes behind a real InvokerAgent and RemoteDispatcher on 127.0.0.1. Each hostile function
// ends its own activation with an error; the invoker stays up (its connection to the controller is never
// dropped) and the next invocation of a normal function works.
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "invoker/invoker_agent.h"
#include "controller/remote_dispatcher.h"
#include "invoker/runtime_container_factory.h"
#include "tests/controller/raw_invoker.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

net::ActionRecord python(const std::string& name, const std::string& body) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "python:3";
  a.code = "import os\ndef main(a):\n" + body;
  a.memory_mb = 128;
  a.timeout_ms = 2000;
  a.version = 1;
  return a;
}

net::ActivationRecord invoke(RemoteDispatcher& d, const net::ActionRecord& a) {
  std::promise<net::ActivationRecord> p;
  d.dispatch(net::InvocationRequest{a, "{}", "id-" + a.name, 0}, [&p](net::ActivationRecord r) { p.set_value(std::move(r)); });
  return p.get_future().get();
}

TEST(InvokerHostile, AnInvokerSurvivesAnyBytesAFunctionWritesToItsChannel) {
  hearth::testing::TempDir dir;
  RemoteDispatcherConfig dc;
  dc.token = testing::kToken;
  RemoteDispatcher d(dc);
  invoker::RuntimeContainerFactory factory(dir.str() + "/code", /*sandboxed=*/false, 0);
  invoker::InvokerAgentConfig c;
  c.token = testing::kToken;
  c.controller = "127.0.0.1:" + std::to_string(d.port());
  c.name = "victim";
  c.pool.invoker_memory_mb = 1024;
  c.pool.concurrency = 2;
  c.heartbeat_ms = 100;
  invoker::InvokerAgent agent(factory, c);
  std::string why;
  std::thread serving([&] { why = agent.serve(); });
  ASSERT_EQ(d.wait_for_invokers(1, 5000), 1);

  const net::ActionRecord normal = python("normal", "    return {'fine': True}\n");
  ASSERT_EQ(invoke(d, normal).status, "success");
  const struct {
    const char* name;
    const char* body;
  } hostile[] = {
      {"all_ones", "    os.write(4, b'\\xff\\xff\\xff\\xff')\n    return {}\n"},
      {"random", "    os.write(4, os.urandom(65536))\n    return {}\n"},
      {"truncated", "    os.write(4, b'\\x10\\x00\\x00\\x00abc')\n    os.close(4)\n    os._exit(0)\n"},
      {"huge_result", "    return {'s': 'a' * (8 << 20)}\n"},
      {"closed", "    os.close(4)\n    return {}\n"},
  };
  for (const auto& h : hostile) {
    const net::ActivationRecord r = invoke(d, python(h.name, h.body));
    EXPECT_NE(r.status, "success") << h.name;
    EXPECT_NE(r.status, "whisk internal error") << h.name << ": " << r.result_json;  // not the invoker's death
    const net::ActivationRecord next = invoke(d, normal);
    EXPECT_EQ(next.status, "success") << "after " << h.name << ": " << next.result_json;
    ASSERT_EQ(d.invokers().size(), 1u);
    EXPECT_TRUE(d.invokers()[0].up) << "after " << h.name;
  }
  const net::ActivationRecord huge = invoke(d, python("huge_result", "    return {'s': 'a' * (8 << 20)}\n"));
  EXPECT_NE(huge.result_json.find("exceeded the allowed length"), std::string::npos) << huge.result_json;
  agent.stop();
  serving.join();
  EXPECT_EQ(why, "stopped");  // it ended because it was told to, never on its own
}

}  // namespace
}  // namespace hearth::controller
