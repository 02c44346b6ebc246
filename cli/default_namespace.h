// The installation's default namespace ("guest", as OpenWhisk's) and its key. The SQLite store keeps
// only a salted hash of every key, so the default namespace's uuid:key is also kept in
// DATA_DIR/auth.guest (mode 0600, the operator's credential — as OpenWhisk's ansible/files/auth.guest or
// a ~/.wskprops), from which `hearth up` prints the export line and `hearth auth` shows it.
// default_namespace() makes sure the store and that file agree, creating a random key on first use:
//   - no namespace "guest" yet: create it (random uuid and key), write the file;
//   - the store still accepts OpenWhisk's public guest key (a data directory from before keys were
//     random): rotate it and say so on stderr — that key is printed in OpenWhisk's docs, so it is no secret;
//   - the file is missing or its key no longer authenticates: rotate (the old key cannot be recovered
//     from its hash) and say so on stderr;
//   - otherwise the file's credentials.
#pragma once

#include <filesystem>

#include "controller/store.h"

namespace hearth::cli {

inline constexpr const char* kDefaultNamespace = "guest";

std::filesystem::path default_key_file(const std::filesystem::path& data_dir);
controller::Credentials default_namespace(controller::Store& store, const std::filesystem::path& data_dir);
// Writes the default namespace's key file (after a rotation).
void save_default_key(const std::filesystem::path& data_dir, const controller::Credentials& c);

}  // namespace hearth::cli
