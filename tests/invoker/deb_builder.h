// Test helper: builds small Debian packages in memory (an ar archive of debian-binary, control.tar and an
// uncompressed data.tar, which dpkg-deb reads), with any tar members — including the hostile ones a
// packaging tool would never write (absolute paths, "..", links out of the tree, devices).
#pragma once

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace hearth::testing {

struct TarMember {
  std::string name;
  char type = '0';         // '0' file, '5' directory, '2' symlink, '1' hard link, '3' character device
  std::string content{};   // a file's bytes
  std::string link{};      // a link's target
  int mode = 0644;
};

inline std::string tar_of(const std::vector<TarMember>& members) {
  std::string out;
  for (const TarMember& m : members) {
    char h[512] = {};
    std::snprintf(h, 100, "%s", m.name.c_str());
    std::snprintf(h + 100, 8, "%07o", m.mode);
    std::snprintf(h + 108, 8, "%07o", 0);
    std::snprintf(h + 116, 8, "%07o", 0);
    std::snprintf(h + 124, 12, "%011llo", static_cast<unsigned long long>(m.type == '0' ? m.content.size() : 0));
    std::snprintf(h + 136, 12, "%011o", 0);
    std::memset(h + 148, ' ', 8);
    h[156] = m.type;
    std::snprintf(h + 157, 100, "%s", m.link.c_str());
    std::memcpy(h + 257, "ustar\0" "00", 8);
    unsigned sum = 0;
    for (unsigned char c : h) sum += c;
    std::snprintf(h + 148, 8, "%06o", sum);
    out.append(h, 512);
    if (m.type == '0') {
      out += m.content;
      out.append((512 - m.content.size() % 512) % 512, '\0');
    }
  }
  out.append(1024, '\0');
  return out;
}

inline std::string ar_member(const std::string& name, const std::string& data) {
  char h[61];
  std::snprintf(h, sizeof h, "%-16s%-12s%-6s%-6s%-8s%-10zu`\n", name.c_str(), "0", "0", "0", "100644", data.size());
  std::string out(h, 60);
  out += data;
  if (data.size() % 2) out += '\n';
  return out;
}

// A .deb whose data.tar holds `members`.
inline std::string deb_of(const std::vector<TarMember>& members) {
  const std::string control = tar_of({{"./", '5', "", "", 0755},
                                      {"./control", '0', "Package: python3-test\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n"}});
  return "!<arch>\n" + ar_member("debian-binary", "2.0\n") + ar_member("control.tar", control) + ar_member("data.tar", tar_of(members));
}

// A library package holding one Python module `module` (its __init__.py says `value`), plus `padding` bytes.
inline std::string python_deb(const std::string& module, const std::string& value, std::size_t padding = 0) {
  const std::string dir = "./usr/lib/python3/dist-packages/" + module;
  std::vector<TarMember> m = {{"./", '5', "", "", 0755},
                              {"./usr/", '5', "", "", 0755},
                              {"./usr/lib/", '5', "", "", 0755},
                              {"./usr/lib/python3/", '5', "", "", 0755},
                              {"./usr/lib/python3/dist-packages/", '5', "", "", 0755},
                              {dir + "/", '5', "", "", 0755},
                              {dir + "/__init__.py", '0', "VALUE = " + value + "\n"}};
  if (padding) m.push_back({dir + "/data.bin", '0', std::string(padding, 'x')});
  return deb_of(m);
}

}  // namespace hearth::testing
