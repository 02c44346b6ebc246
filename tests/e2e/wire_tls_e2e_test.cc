// `hearth up` with TLS on the wire (docs/wire-protocol.md, "TLS"): its own invoker process joins over
// TLS and runs a real Node.js function; a hand-started invoker trusting another certificate is refused
// after one trusting the controller's joined; a wire address off loopback without TLS is refused.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "net/wire_tls.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::net::HttpClient;
using hearth::testing::Platform;
using nlohmann::json;

TEST(WireTlsE2E, UpsOwnInvokerJoinsOverTlsAndAWrongCaIsRefused) {
  hearth::testing::TempDir dir;
  const std::string crt = dir.str() + "/wire.crt", key = dir.str() + "/wire.key";
  hearth::net::wire::write_self_signed(crt, key, "127.0.0.1");
  hearth::net::wire::write_self_signed(dir.str() + "/other.crt", dir.str() + "/other.key", "127.0.0.1");
  // --wire-socket off: its own invoker joins over TCP (TLS) instead of the Unix socket.
  Platform platform(dir.str() + "/data", "--invokers 1 --prewarm none --sandbox off --wire-socket off --wire-tls-cert " +
                                             crt + " --wire-tls-key " + key);
  ASSERT_NE(platform.wire_port(), 0);
  HttpClient client("127.0.0.1", platform.port());
  ASSERT_EQ(client.send({"PUT", "/api/v1/namespaces/_/actions/hi", platform.auth(),
                         json{{"exec", {{"kind", "nodejs:20"}, {"code", "function main(p) { return {hi: p.who}; }"}}}}.dump()})
                .status, 200);
  const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/hi?blocking=true", platform.auth(), R"({"who":"tls"})"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["response"]["result"]["hi"], "tls");
  EXPECT_EQ(json::parse(r.body)["hearth"]["invoker"], "invoker0");

  const std::string common = "--controller 127.0.0.1:" + std::to_string(platform.wire_port()) +
                             " --sandbox off --prewarm none --exit-with-controller --token-file " + dir.str() +
                             "/data/wire.token";
  const auto wrong = hearth::testing::hearth("invoker " + common + " --name w2 --data-dir " + dir.str() +
                                             "/w2 --wire-tls-ca " + dir.str() + "/other.crt");
  EXPECT_NE(wrong.exit_code, 0);
  EXPECT_NE(wrong.out.find("certificate verify failed"), std::string::npos) << wrong.out;
  // The same hand-started invoker trusting the controller's certificate joins (listed as up).
  const hearth::testing::InvokerProcess right(common + " --name w1 --data-dir " + dir.str() + "/w1 --wire-tls-ca " + crt);
  bool joined = false;
  for (int i = 0; i < 100 && !joined; ++i) {
    const auto inv = client.send({"GET", "/invokers", platform.auth(), ""});
    joined = inv.status == 200 && inv.body.find("w1") != std::string::npos;
    if (!joined) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(joined);
}

TEST(WireTlsE2E, AWireAddressOffLoopbackNeedsTlsOrWireInsecure) {
  hearth::testing::TempDir dir;
  // Refused before anything listens: nothing binds 0.0.0.0.
  const auto refused = hearth::testing::hearth("up --port 0 --invokers 0 --data-dir " + dir.str() +
                                               "/data --wire-address 0.0.0.0");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("--wire-insecure"), std::string::npos) << refused.out;
}

}  // namespace
