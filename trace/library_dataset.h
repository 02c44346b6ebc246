// The library data set (scripts/library-dataset, docs/scorpius.md "Data set") and the mapping of a
// trace's functions onto library sets.
// File: CSV with the header `name,version,size_kb,reverse_deps,rank,depends`; one library per line;
// `depends` holds names of other libraries of the file separated by single spaces (may be empty).
// read_library_dataset throws TraceError "file:line: what" for a wrong header, a wrong field count, a
// non-numeric or negative number, an empty or duplicate name, a dependency on a name not in the file or
// on itself, or more than kMaxLibraries lines. Cost: one pass plus a hash lookup per dependency.
// Mapping (assign_libraries): every library with a non-empty `depends` is a function template importing
// the transitive closure of its dependencies (without itself). Templates are split in halves by a seeded
// stable hash of their name: the history half is what the library placement learns from (Algorithm 1's
// F), the evaluation half is what trace functions import — function i of the trace gets an evaluation
// template drawn uniformly with a seeded generator (the paper "randomly combine[s] trace and function").
// Deterministic given the data set, the number of functions and the seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "policy/library_placement.h"

namespace hearth::trace {

struct LibraryRecord {
  std::string name;
  std::string version;
  std::int64_t size_kb = 0;
  std::int64_t reverse_deps = 0;
  std::int64_t rank = 0;
  std::vector<policy::LibraryId> depends;  // ids into LibraryDataset::libraries
};

struct LibraryDataset {
  static constexpr std::size_t kMaxLibraries = 1'000'000;
  std::vector<LibraryRecord> libraries;  // in file order; LibraryId = index
  std::string source;                    // the file read
  std::vector<std::int64_t> sizes_kb() const;
};

LibraryDataset read_library_dataset(const std::string& path);

// The transitive closure of `lib`'s dependencies, ascending ids, without `lib`. O(closure + its edges).
std::vector<policy::LibraryId> import_closure(const LibraryDataset& ds, policy::LibraryId lib);

struct LibraryAssignment {
  std::vector<std::vector<policy::LibraryId>> history;    // imports of the history templates
  std::vector<std::vector<policy::LibraryId>> functions;  // imports of trace function i
  std::vector<policy::LibraryId> function_template;       // the template each trace function was drawn from
};

// Throws std::invalid_argument when the data set has fewer than two templates.
LibraryAssignment assign_libraries(const LibraryDataset& ds, std::size_t functions, std::uint64_t seed);

}  // namespace hearth::trace
