// Wire addresses and the Unix socket file (net/wire_address.h): hand-checked parses, errors that name the
// text and what is wrong, the checks on the socket's directory, a frame across a Unix socket, and a
// reader on the wire's Unix socket woken once per reply (a blocking one, the probe, twice).
#include "net/wire_address.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <thread>

#include "net/wire.h"
#include "tests/trace/temp_dir.h"

namespace hearth::net::wire {
namespace {

std::string parse_error(const std::string& text) {
  try {
    parse_wire_address(text);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(parsed)";
}

TEST(WireAddress, ParsesTcpAndUnixForms) {
  const WireAddress tcp = parse_wire_address("127.0.0.1:4000");
  EXPECT_EQ(tcp.kind, WireAddress::Kind::kTcp);
  EXPECT_EQ(tcp.host, "127.0.0.1");
  EXPECT_EQ(tcp.port, 4000);
  EXPECT_EQ(tcp.text(), "127.0.0.1:4000");
  const WireAddress unix_socket = parse_wire_address("unix:/var/lib/hearth/wire.sock");
  EXPECT_EQ(unix_socket.kind, WireAddress::Kind::kUnix);
  EXPECT_EQ(unix_socket.path, "/var/lib/hearth/wire.sock");
  EXPECT_EQ(unix_socket.text(), "unix:/var/lib/hearth/wire.sock");
  EXPECT_EQ(parse_wire_address("unix:rel/wire.sock").path, "rel/wire.sock");  // relative to the working directory
  EXPECT_EQ(parse_wire_address("unix:" + std::string(107, 'a')).path.size(), 107u);  // sun_path's 108 with the NUL
}

TEST(WireAddress, BadTextIsRefusedSayingWhatAndWhere) {
  EXPECT_NE(parse_error("unix:").find("'unix:' is not a wire address: unix: needs the socket's path"), std::string::npos)
      << parse_error("unix:");
  const std::string long_path = "unix:" + std::string(108, 'a');
  EXPECT_NE(parse_error(long_path).find("the path has 108 bytes, a Unix socket's at most 107"), std::string::npos)
      << parse_error(long_path);
  EXPECT_NE(parse_error(std::string("unix:/a\0b", 9)).find("'unix:/a\\0b' is not a wire address: the path holds a NUL byte"),
            std::string::npos)
      << parse_error(std::string("unix:/a\0b", 9));
  for (const std::string bad : {"", "localhost", "host:", ":80", "host:0", "host:65536", "host:x1", "unix/a:b"})
    EXPECT_NE(parse_error(bad).find("'" + bad + "'"), std::string::npos) << bad << ": " << parse_error(bad);
}

TEST(WireAddress, TheSocketsDirectoryMustBeThisUsersAndPrivate) {
  hearth::testing::TempDir dir;  // mkdtemp: 0700, ours
  EXPECT_EQ(unix_socket_unusable(dir.str() + "/wire.sock"), "");
  EXPECT_NE(unix_socket_unusable(dir.str() + "/missing/wire.sock").find("missing"), std::string::npos);
  EXPECT_NE(unix_socket_unusable(dir.str() + "/" + std::string(120, 'a')).find("at most 107"), std::string::npos);
  chmod(dir.str().c_str(), 0750);
  const std::string open = unix_socket_unusable(dir.str() + "/wire.sock");
  EXPECT_NE(open.find("has mode 0750: other users may enter it"), std::string::npos) << open;
  EXPECT_THROW(listen_unix(dir.str() + "/wire.sock"), std::invalid_argument);
  EXPECT_NE(access((dir.str() + "/wire.sock").c_str(), F_OK), 0);  // nothing was bound there
}

TEST(WireAddress, AFrameCrossesAUnixSocketAndClosingRemovesOnlyItsOwnFile) {
  hearth::testing::TempDir dir;
  const std::string path = dir.str() + "/wire.sock";
  UnixListener l = listen_unix(path);
  const int client = connect_wire(parse_wire_address("unix:" + path));
  const int server = accept(l.fd, nullptr, nullptr);
  ASSERT_GE(server, 0);
  ASSERT_TRUE(send_frame(client, "hello over a unix socket"));
  FrameReader reader(kMaxFrameBytes);
  std::string_view payload;
  std::string error;
  ASSERT_TRUE(recv_frame(server, reader, &payload, &error)) << error;
  EXPECT_EQ(payload, "hello over a unix socket");
  close(client);
  close(server);
  close_unix_listener(l);
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_THROW(connect_wire(parse_wire_address("unix:" + path)), std::runtime_error);
  // A file put in its place since is somebody else's: closing leaves it.
  UnixListener first = listen_unix(path);
  unlink(path.c_str());
  dir.write("wire.sock", "another file");
  close_unix_listener(first);
  EXPECT_EQ(access(path.c_str(), F_OK), 0);
}

// Voluntary context switches per request-reply of a thread that sends a frame on `mine` and reads the
// answer with a FrameReader, while a peer on `theirs` reads it after a while and answers after another.
double switches_per_round_trip(int mine, int theirs) {
  constexpr int kRounds = 300;
  std::thread peer([theirs] {
    FrameReader reader(kMaxFrameBytes);
    std::string_view payload;
    std::string error;
    for (int i = 0; i < kRounds; ++i) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));  // the caller is asleep in its read by now
      if (!recv_frame(theirs, reader, &payload, &error)) return;
      std::this_thread::sleep_for(std::chrono::microseconds(300));  // the function runs
      send_frame(theirs, "result");
    }
  });
  FrameReader reader(kMaxFrameBytes);
  std::string_view payload;
  std::string error;
  rusage before{}, after{};
  getrusage(RUSAGE_THREAD, &before);
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(send_frame(mine, "invoke"));
    EXPECT_TRUE(recv_frame(mine, reader, &payload, &error)) << error;
  }
  getrusage(RUSAGE_THREAD, &after);
  peer.join();
  return static_cast<double>(after.ru_nvcsw - before.ru_nvcsw) / kRounds;
}

TEST(WireAddress, AReaderOnTheWiresUnixSocketIsWokenOncePerReply) {
  hearth::testing::TempDir dir;
  UnixListener l = listen_unix(dir.str() + "/wire.sock");
  // The probe: blocking descriptors on both ends. The peer's read of "invoke" frees this end's send
  // buffer, which wakes a read() blocked here before "result" arrives: two sleeps per reply.
  int blocking[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, blocking), 0);
  const double probe = switches_per_round_trip(blocking[0], blocking[1]);
  EXPECT_GE(probe, 1.7);
  // The wire's own: connect_wire's end and an end accepted with kUnixSocketFlags wait in poll: one.
  const int client = connect_wire(parse_wire_address("unix:" + l.path));
  const int server = accept4(l.fd, nullptr, nullptr, SOCK_CLOEXEC | kUnixSocketFlags);
  ASSERT_GE(server, 0);
  const double wire = switches_per_round_trip(client, server);
  EXPECT_LE(wire, 1.3) << "the probe: " << probe;
  for (int fd : {blocking[0], blocking[1], client, server}) close(fd);
  close_unix_listener(l);
}

}  // namespace
}  // namespace hearth::net::wire
