// End-to-end: `hearth up` started by a user who is not root (nobody, via util-linux's setpriv) sandboxes
// its functions in unprivileged user namespaces; where user namespaces are refused (max_user_namespaces
// set to 0 inside a user namespace of its own, so the host's setting is untouched) it refuses to start
// unless --sandbox off, which it then explains. Each `hearth up` runs at most 4 s (timeout).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using hearth::testing::CliRun;
using hearth::testing::run_shell;

const std::string kHearth = HEARTH_BINARY;
const std::string kAsNobody = "setpriv --reuid=65534 --regid=65534 --clear-groups ";

// `cmd` with its stderr in its output.
CliRun shell(const std::string& cmd) { return run_shell(cmd + " 2>&1"); }

class RootlessUp : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root to become nobody";
    if (shell("command -v setpriv && command -v unshare && command -v timeout").exit_code != 0)
      GTEST_SKIP() << "needs util-linux's setpriv and unshare";
    ::chmod(dir_.str().c_str(), 0777);  // nobody's data directory
  }
  // `hearth up` in-process on any free port, stopped by SIGTERM after 4 s.
  std::string up(const std::string& extra) const {
    return "timeout -s TERM 4 " + kHearth + " up --in-process --port 0 --data-dir " + dir_.str() + "/data " + extra;
  }
  hearth::testing::TempDir dir_;
};

TEST_F(RootlessUp, SandboxesInUserNamespacesAsNobody) {
  const CliRun r = shell(kAsNobody + up(""));
  EXPECT_NE(r.out.find("sandboxed in user namespaces"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("NOT sandboxed"), std::string::npos) << r.out;
}

TEST_F(RootlessUp, RefusesWithoutUserNamespacesUnlessSandboxOff) {
  const std::string no_userns = kAsNobody + "unshare -U -r sh -c 'echo 0 > /proc/sys/user/max_user_namespaces && exec ";
  const CliRun refused = shell(no_userns + up("") + "'");
  EXPECT_EQ(refused.exit_code, 2) << refused.out;
  EXPECT_NE(refused.out.find("cannot sandbox functions here"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("max_user_namespaces is 0"), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("--sandbox off"), std::string::npos) << refused.out;
  EXPECT_EQ(refused.out.find("hearth up: http"), std::string::npos) << refused.out;
  const CliRun off = shell(no_userns + up("--sandbox off") + "'");
  EXPECT_NE(off.out.find("hearth up: http"), std::string::npos) << off.out;
  EXPECT_NE(off.out.find("NOT sandboxed: --sandbox off: functions run as plain processes"), std::string::npos) << off.out;
}

}  // namespace
