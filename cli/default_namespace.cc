#include "cli/default_namespace.h"

#include <cstdio>

#include "net/secrets.h"

namespace hearth::cli {
namespace {

// OpenWhisk's well-known guest credentials (published in its docs and repository), which `hearth up`
// used to install on every start: a data directory that still accepts them gets a new key.
constexpr const char* kPublicGuestUuid = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502";
constexpr const char* kPublicGuestKey = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";

}  // namespace

std::filesystem::path default_key_file(const std::filesystem::path& data_dir) { return data_dir / "auth.guest"; }

void save_default_key(const std::filesystem::path& data_dir, const controller::Credentials& c) {
  net::secrets::write_secret_file(default_key_file(data_dir).string(), c.pair());
}

controller::Credentials default_namespace(controller::Store& store, const std::filesystem::path& data_dir) {
  const std::filesystem::path file = default_key_file(data_dir);
  bool exists = false;
  for (const std::string& ns : store.namespaces()) exists = exists || ns == kDefaultNamespace;
  if (!exists) {
    const controller::Credentials c = store.create_namespace(kDefaultNamespace);
    save_default_key(data_dir, c);
    return c;
  }
  const char* why = nullptr;
  if (store.authenticate(kPublicGuestUuid, kPublicGuestKey)) {
    why = "still accepted OpenWhisk's public guest key";
  } else if (!std::filesystem::exists(file)) {
    why = "has no auth.guest file";
  } else {
    const std::string pair = net::secrets::read_secret_file(file.string());
    const auto colon = pair.find(':');
    if (colon != std::string::npos && store.authenticate(pair.substr(0, colon), pair.substr(colon + 1)) == kDefaultNamespace)
      return {kDefaultNamespace, pair.substr(0, colon), pair.substr(colon + 1)};
    why = "has an auth.guest file whose key the store does not accept";
  }
  const controller::Credentials c = store.rotate_key(kDefaultNamespace);
  save_default_key(data_dir, c);
  std::fprintf(stderr, "hearth: the data directory %s %s: namespace '%s' has a new random key (hearth auth shows it)\n",
               data_dir.string().c_str(), why, kDefaultNamespace);
  return c;
}

}  // namespace hearth::cli
