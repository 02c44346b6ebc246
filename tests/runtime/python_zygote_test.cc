// Zygotes (runtime/python_zygote.h): a fork answers like a fresh runtime, and is exactly as isolated —
// every probe is first run where it is NOT isolated (a plain runtime on the host), where it must see what
// the fork must not: its zygote's and other functions' processes and files, the host's namespaces.
#include "runtime/python_zygote.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "runtime/runtime_process.h"
#include "tests/trace/temp_dir.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;

// Reports what a process can see of its surroundings.
constexpr const char* kProbe = R"(import ctypes, os
def main(a):
    ns = {n: os.readlink('/proc/self/ns/' + n) for n in ('mnt', 'pid', 'net', 'ipc', 'uts', 'user')}
    pids = sorted(int(p) for p in os.listdir('/proc') if p.isdigit())
    status = dict(l.split(':\t', 1) for l in open('/proc/self/status').read().splitlines() if ':\t' in l)
    def read(path):
        try:
            return open(path).read()
        except OSError:
            return None
    if a.get('write'):
        open(a['write'], 'w').write('mine')
    uid = os.getuid()
    libc = ctypes.CDLL(None, use_errno=True)
    rc = libc.unshare(0x10000000)  # CLONE_NEWUSER: denied by the function profile
    return {'ns': ns, 'pids': pids, 'cgroup': open('/proc/self/cgroup').read(), 'uid': uid,
            'cap_eff': status['CapEff'].strip(), 'cap_bnd': status['CapBnd'].strip(),
            'no_new_privs': status['NoNewPrivs'].strip(), 'seccomp': status['Seccomp'].strip(),
            'files': {p: read(p) for p in a.get('files', [])},
            'unshare_errno': 0 if rc == 0 else ctypes.get_errno()}
)";

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ns_of(pid_t pid, const std::string& ns) {
  char buf[128] = {};
  const ssize_t n = readlink(("/proc/" + std::to_string(pid) + "/ns/" + ns).c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : "";
}

// The first child of `pid` (a sandbox's supervisor → its PID 1).
pid_t child_of(pid_t pid) {
  std::istringstream in(slurp("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children"));
  pid_t c = -1;
  in >> c;
  return c;
}

bool lists(const json& probe, pid_t pid) {
  for (const auto& p : probe["pids"])
    if (p.get<pid_t>() == pid) return true;
  return false;
}

struct ZygoteFixture : ::testing::Test {
  void SetUp() override {
    std::string why;
    if (!sandbox::Sandbox::supported(&why)) GTEST_SKIP() << "sandboxes unsupported here: " << why;
    ::chmod(other.str().c_str(), 0755);
    ZygoteOptions o;
    o.name = "hearth-" + std::to_string(getpid()) + "-ztest" + std::to_string(counter++);
    zygote = PythonZygote::start(o);
  }
  ProcessOptions options() {
    ProcessOptions o;
    o.sandboxed = true;
    o.zygote = zygote;
    o.name = "unused";
    o.limits.memory_mb = 128;
    return o;
  }
  json probe(RuntimeProcess& p, const json& args) {
    const RunResult r = p.run(args.dump(), 10000);
    EXPECT_TRUE(r.ok) << r.error;
    return r.ok ? json::parse(r.result_json) : json::object();
  }
  hearth::testing::TempDir other;  // another function's files on the host
  std::shared_ptr<PythonZygote> zygote;
  static inline int counter = 0;
};

TEST_F(ZygoteFixture, AForkAnswersLikeAFreshRuntime) {
  RuntimeProcess p(Language::kPython, options());
  const RunResult init = p.init_source("def main(a):\n    print('hi')\n    return {'n': a['n'] + 1}\n", "main", 10000);
  ASSERT_TRUE(init.ok) << init.error;
  for (int i = 0; i < 3; ++i) {
    const RunResult r = p.run(json{{"n", i}}.dump(), 10000);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(json::parse(r.result_json)["n"], i + 1);
    ASSERT_EQ(r.logs.size(), 1u);
    EXPECT_EQ(r.logs[0], "hi");
  }
  EXPECT_EQ(zygote->forks(), 1u);
}

TEST_F(ZygoteFixture, ForkIsInItsOwnNamespacesAndCgroupAndSeesNeitherItsZygoteNorOtherFunctions) {
  other.write("code.py", "other function's code");
  const std::string other_file = other.str() + "/code.py";
  ASSERT_EQ(zygote->prepare(2), 2);
  // Function B, also forked from the zygote, leaves a file in its /tmp.
  RuntimeProcess b(Language::kPython, options());
  ASSERT_TRUE(b.init_source(kProbe, "main", 10000).ok);
  const json in_b = probe(b, {{"write", "/tmp/b-secret"}, {"files", {"/tmp/b-secret"}}});
  ASSERT_EQ(in_b["files"]["/tmp/b-secret"], "mine");
  const pid_t zygote_python = child_of(zygote->root_pid());
  ASSERT_GT(zygote_python, 0);
  const json args = {{"files", {other_file, "/tmp/b-secret"}}};

  // Not isolated (a plain runtime on the host): the same probe sees the zygote's and B's processes, B's
  // code, the host's namespaces, and may create a user namespace.
  RuntimeProcess plain(Language::kPython);
  ASSERT_TRUE(plain.init_source(kProbe, "main", 10000).ok);
  const json host = probe(plain, args);
  EXPECT_TRUE(lists(host, zygote->root_pid()));
  EXPECT_TRUE(lists(host, zygote_python));
  EXPECT_TRUE(lists(host, b.pid()));
  EXPECT_EQ(host["files"][other_file], "other function's code");
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "user"}) EXPECT_EQ(host["ns"][ns], ns_of(getpid(), ns)) << ns;
  EXPECT_EQ(host["cgroup"], slurp("/proc/self/cgroup"));
  EXPECT_EQ(host["unshare_errno"], 0);

  // Forked from the zygote: none of it.
  RuntimeProcess a(Language::kPython, options());
  ASSERT_TRUE(a.init_source(kProbe, "main", 10000).ok);
  const json in_a = probe(a, args);
  EXPECT_EQ(in_a["pids"], json::array({1})) << "sees only itself: " << in_a["pids"];
  EXPECT_TRUE(in_a["files"][other_file].is_null());
  EXPECT_TRUE(in_a["files"]["/tmp/b-secret"].is_null());
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "user"}) {
    EXPECT_NE(in_a["ns"][ns], ns_of(getpid(), ns)) << ns << " is the host's";
    EXPECT_NE(in_a["ns"][ns], ns_of(zygote_python, ns)) << ns << " is its zygote's";
    EXPECT_NE(in_a["ns"][ns], in_b["ns"][ns]) << ns << " is B's";
  }
  // Its own cgroup (the one the platform created for it), neither the zygote's nor B's nor the host's.
  const std::string cgroup = in_a["cgroup"];
  EXPECT_EQ(cgroup, slurp("/proc/" + std::to_string(a.pid()) + "/cgroup"));
  if (sandbox::Sandbox::privilege(nullptr) == sandbox::Privilege::kRoot) {
    EXPECT_NE(cgroup.find("/hearth/" + std::string("hearth-") + std::to_string(getpid()) + "-ztest"), std::string::npos)
        << cgroup;
    EXPECT_NE(cgroup, slurp("/proc/" + std::to_string(zygote_python) + "/cgroup"));
    EXPECT_NE(cgroup, in_b["cgroup"].get<std::string>());
    EXPECT_NE(cgroup, slurp("/proc/self/cgroup"));
  }
  // Privileges as a freshly started sandboxed runtime: nobody, no capabilities, no_new_privs, seccomp.
  if (geteuid() == 0) {  // as root on the host: uid 0 with capabilities (as nobody, the host has none either)
    EXPECT_EQ(host["uid"], 0);
    EXPECT_NE(host["cap_eff"], "0000000000000000");
  }
  EXPECT_EQ(in_a["uid"], 65534);
  EXPECT_EQ(in_a["cap_eff"], "0000000000000000");
  EXPECT_EQ(in_a["cap_bnd"], "0000000000000000");
  EXPECT_EQ(in_a["no_new_privs"], "1");
  EXPECT_EQ(in_a["seccomp"], "2");
  EXPECT_EQ(in_a["unshare_errno"], EPERM);
}

TEST_F(ZygoteFixture, KillingAForkEndsItsSandboxButNotItsZygote) {
  auto a = std::make_unique<RuntimeProcess>(Language::kPython, options());
  ASSERT_TRUE(a->init_source("def main(a):\n    return {}\n", "main", 10000).ok);
  const pid_t supervisor = a->pid();
  const pid_t init = child_of(supervisor);
  ASSERT_GT(init, 0);
  a.reset();  // kills the supervisor and waits for it (and, with a cgroup, for everything in it)
  EXPECT_NE(::kill(supervisor, 0), 0);
  // PID 1 dies with its supervisor (PR_SET_PDEATHSIG; the zygote reaps it): at once, or within 2 s
  // without a cgroup (the user-namespace mode).
  for (int i = 0; i < 200 && ::kill(init, 0) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_NE(::kill(init, 0), 0);
  RuntimeProcess b(Language::kPython, options());
  ASSERT_TRUE(b.init_source("def main(a):\n    return {'ok': 1}\n", "main", 10000).ok);
  EXPECT_TRUE(b.run("{}", 10000).ok);
}

TEST_F(ZygoteFixture, AChildZygoteHoldsItsParentsImportsAndMore) {
  std::shared_ptr<PythonZygote> child = zygote->extend({}, {"json", "decimal"});
  EXPECT_EQ(child->imports(), (std::vector<std::string>{"json", "decimal"}));
  ProcessOptions o = options();
  o.zygote = child;
  RuntimeProcess p(Language::kPython, o);
  ASSERT_TRUE(p.init_source("import sys\ndef main(a):\n    return {'loaded': 'decimal' in sys.modules}\n", "main", 10000).ok);
  const RunResult r = p.run("{}", 10000);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["loaded"], true);  // imported by the child zygote, before the fork
}

// The tree with libraries outside the root's own paths: a root whose view holds a directory of libraries
// (as the invoker's library root holds its cache), a child zygote importing one of them, and forks of the
// child — one showing exactly the child's libraries (parked), one declaring one more that it imports
// itself (forked with its own view). Each fork sees only its own libraries, not the rest of the
// directory, and is as isolated from the child zygote as a fork of a root is from its root.
TEST_F(ZygoteFixture, ForksOfAChildZygoteHoldItsImportsShowOnlyTheirLibrariesAndAreIsolated) {
  hearth::testing::TempDir libs;
  ::chmod(libs.str().c_str(), 0755);
  for (const char* d : {"a", "b", "c"}) ::mkdir((libs.str() + "/" + d).c_str(), 0755);
  libs.write("a/mod_a.py", "VALUE = 'a'\n");
  libs.write("b/mod_b.py", "VALUE = 'b'\n");
  libs.write("c/secret.py", "VALUE = 'another function library'\n");
  const std::string a = libs.str() + "/a", b = libs.str() + "/b", c = libs.str() + "/c";
  ZygoteOptions o;
  o.name = "hearth-" + std::to_string(getpid()) + "-ztree";
  o.view_paths = {libs.str()};
  std::shared_ptr<PythonZygote> root = PythonZygote::start(o);
  std::shared_ptr<PythonZygote> child = root->extend({a}, {"mod_a"}, {a});
  EXPECT_EQ(child->library_paths(), std::vector<std::string>{a});
  ASSERT_EQ(child->prepare(1), 1);
  const pid_t root_python = child_of(root->root_pid());
  const pid_t child_python = child_of(root_python);  // the child zygote is the root interpreter's only child
  ASSERT_GT(child_python, 0);

  constexpr const char* kTreeProbe = R"(import os, sys
preloaded = {m: m in sys.modules for m in ('mod_a', 'mod_b')}
import mod_a
def main(a):
    got = {}
    if a.get('b'):
        import mod_b
        got['b'] = mod_b.VALUE
    ns = {n: os.readlink('/proc/self/ns/' + n) for n in ('mnt', 'pid', 'net', 'ipc', 'uts', 'user')}
    return {'preloaded': preloaded, 'a': mod_a.VALUE, 'got': got, 'ns': ns,
            'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
            'cgroup': open('/proc/self/cgroup').read(),
            'seen': {d: os.path.exists(d) for d in a['dirs']}}
)";
  const json dirs = {{"dirs", {a, b, c}}};
  // Exactly the child's libraries: a parked fork; mod_a was imported before the function's code ran.
  ProcessOptions exact = options();
  exact.zygote = child;
  exact.read_only_paths = {a};
  RuntimeProcess p(Language::kPython, exact);
  EXPECT_EQ(child->parked_hits(), 1u);
  ASSERT_TRUE(p.init_source(kTreeProbe, "main", 10000).ok);
  const json in_p = probe(p, dirs);
  EXPECT_EQ(in_p["preloaded"]["mod_a"], true) << in_p;
  EXPECT_EQ(in_p["preloaded"]["mod_b"], false) << in_p;
  EXPECT_EQ(in_p["seen"][a], true);
  EXPECT_EQ(in_p["seen"][b], false);
  EXPECT_EQ(in_p["seen"][c], false);

  // One more library than the child holds: forked with its own view, imports mod_b itself.
  ProcessOptions more = options();
  more.zygote = child;
  more.read_only_paths = {a, b};
  RuntimeProcess q(Language::kPython, more);
  EXPECT_EQ(child->parked_hits(), 1u) << "a fork showing more is not a parked one";
  const RunResult init = q.init_source(kTreeProbe, "main", 10000, {b});
  ASSERT_TRUE(init.ok) << init.error;
  json args = dirs;
  args["b"] = true;
  const json in_q = probe(q, args);
  EXPECT_EQ(in_q["preloaded"]["mod_a"], true) << in_q;
  EXPECT_EQ(in_q["preloaded"]["mod_b"], false) << in_q;
  EXPECT_EQ(in_q["got"]["b"], "b") << in_q;
  EXPECT_EQ(in_q["seen"][b], true);
  EXPECT_EQ(in_q["seen"][c], false) << "another library in the root's view";

  // Isolated from the child zygote, its root and each other, as forks of a root are.
  for (const json* in : {&in_p, &in_q}) {
    EXPECT_EQ((*in)["pids"], json::array({1})) << (*in)["pids"];
    for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "user"}) {
      EXPECT_NE((*in)["ns"][ns], ns_of(child_python, ns)) << ns << " is its zygote's";
      EXPECT_NE((*in)["ns"][ns], ns_of(root_python, ns)) << ns << " is the root zygote's";
      EXPECT_NE((*in)["ns"][ns], ns_of(getpid(), ns)) << ns << " is the host's";
    }
    if (sandbox::Sandbox::privilege(nullptr) == sandbox::Privilege::kRoot) {
      EXPECT_NE((*in)["cgroup"].get<std::string>(), slurp("/proc/" + std::to_string(child_python) + "/cgroup"));
    }
  }
  for (const char* ns : {"mnt", "pid", "net", "ipc", "uts", "user"}) EXPECT_NE(in_p["ns"][ns], in_q["ns"][ns]) << ns;
  if (sandbox::Sandbox::privilege(nullptr) == sandbox::Privilege::kRoot) {
    EXPECT_NE(in_p["cgroup"], in_q["cgroup"]);
  }

  // A host path outside the root's view cannot be shown: a fork asking for it does not see it.
  ProcessOptions outside = options();
  outside.zygote = child;
  outside.read_only_paths = {a, other.str()};
  RuntimeProcess r(Language::kPython, outside);
  ASSERT_TRUE(r.init_source(kTreeProbe, "main", 10000).ok);
  const json in_r = probe(r, {{"dirs", {a, other.str()}}});
  EXPECT_EQ(in_r["seen"][a], true);
  EXPECT_EQ(in_r["seen"][other.str()], false);
}

TEST_F(ZygoteFixture, AnImportErrorIsReportedWithTheModule) {
  ZygoteOptions o;
  o.name = "hearth-" + std::to_string(getpid()) + "-zbad";
  o.imports = {"no_such_module_here"};
  try {
    PythonZygote::start(o);
    FAIL() << "started";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("no_such_module_here"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hearth::runtime
