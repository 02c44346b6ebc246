// LibraryRepository: the controller's library repository (docs/libraries.md) — a directory of real Debian
// .deb files of Python libraries and the manifest.json that scripts/library-repo wrote next to them: per
// library its name (the package without "python3-"), package, version, file, size, the SHA-256 that the
// Debian archive's Packages data gives, and its python3-* dependencies. The controller trusts the
// manifest; an invoker checks every .deb it receives against the manifest's digest, so a file corrupted
// or replaced in the directory is refused on the node, never unpacked.
// Loaded once (the constructor checks the whole manifest and that each file is a regular file of the
// stated size); immutable afterwards, so every method is thread-safe. resolve() costs O(closure); read()
// one file read of at most net::kMaxLibraryBytes.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/records.h"

namespace hearth::controller {

class LibraryRepository {
 public:
  struct Library {
    std::string name, package, version, file, sha256;
    std::int64_t bytes = 0;              // of the .deb
    std::int64_t installed_kb = 0;       // Debian's Installed-Size
    std::vector<std::string> depends;    // names of libraries in this repository
  };

  // Reads `dir`/manifest.json; throws std::runtime_error naming the file, the entry and what is wrong.
  explicit LibraryRepository(std::string dir);

  const std::string& dir() const { return dir_; }
  std::size_t size() const { return libraries_.size(); }
  const std::map<std::string, Library>& libraries() const { return libraries_; }  // by name
  const Library* find(const std::string& name) const;
  // Empty when `names` may be declared (at most net::kMaxDeclaredLibraries, each known, none twice);
  // otherwise the reason, naming the offending name and the known ones.
  std::string check(const std::vector<std::string>& names) const;
  // The dependency closure of `names` (each declared library, then what it needs that is not listed yet,
  // depth first), each once. Throws std::invalid_argument with check()'s reason if `names` is refused.
  std::vector<net::LibraryRef> resolve(const std::vector<std::string>& names) const;
  // The bytes of the .deb whose manifest digest is `sha256`; nullopt for a digest not in the manifest
  // (nothing outside it is ever read). Throws std::runtime_error if the file cannot be read or no longer
  // has the manifest's size.
  std::optional<std::string> read(const std::string& sha256) const;

 private:
  std::string dir_;
  std::map<std::string, Library> libraries_;          // name → library
  std::map<std::string, std::string> by_sha256_;      // digest → name
};

}  // namespace hearth::controller
