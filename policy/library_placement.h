// Library placement (Scorpius, seed 000 §III-B.1, Algorithm 1): which libraries each server prepares in
// advance, learned from the imports of a history of functions, under a per-server storage budget.
//   scorpius  Algorithm 1: import frequency r_i (functions importing i), enthusiasm E_i = r_i / t_i² (Eq. 5,
//             t_i = times i was chosen, from 1), closeness C_ij (functions importing both i and j) and the
//             closeness of i to server k, D_ik = the sum of the N largest C_ij over j prepared on k (Eq. 6).
//             Each server first gets one of the |K| most imported libraries (the n-th most imported on
//             server n); then, until every server is full, the library of highest E is chosen, its t
//             incremented, and it is placed on the open server of highest D that does not hold it yet
//             (ties: least storage used, then lowest id).
//   hot       frequency only (Fig. 9's "Hot"): the same enthusiasm loop, the server the open one with the
//             least storage used that lacks the library.
//   random    Fig. 9's "Random": a library drawn uniformly (seeded) placed on an open server drawn
//             uniformly that lacks it.
// A server is full (closed, Algorithm 1 lines 12-14) when the chosen library does not fit in what is left
// of its budget: the paper's test V_q > αW evaluated before adding, so no server ever exceeds its budget
// (the paper's loop adds the overflowing library first). A library on every open server, with r = 0, or
// larger than the whole budget (it would close every server in turn) is never chosen (again); the loop
// ends when every server is closed or no library can be chosen.
// Sizes are KB (Debian's Installed-Size unit; most Python libraries are well below 1 MB, so MB would round
// them to 0). Pure and deterministic (random: given the seed).
// Cost: O(|L|·log|L| + Σ_f |G_f|²) to count, then per placed library O(log|L| + |K|·|U_k|·log N).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace hearth::policy {

using LibraryId = std::uint32_t;  // dense, 0..|L|-1

// M of Algorithm 1 / Fig. 7: which library is prepared on which server, with each server's bytes.
class LibraryMatrix {
 public:
  LibraryMatrix() = default;
  LibraryMatrix(std::uint32_t servers, std::uint32_t libraries);
  std::uint32_t servers() const { return servers_; }
  std::uint32_t libraries() const { return libraries_; }
  bool has(std::uint32_t server, LibraryId lib) const { return bits_[index(server, lib)] != 0; }
  // Adds `lib` (size_kb) to `server`; no-op if it is there. Returns whether it was added.
  bool add(std::uint32_t server, LibraryId lib, std::int64_t size_kb);
  // Removes `lib` (size_kb) from `server`; no-op if absent. Returns whether it was removed.
  bool remove(std::uint32_t server, LibraryId lib, std::int64_t size_kb);
  std::int64_t stored_kb(std::uint32_t server) const { return stored_kb_[server]; }
  std::int64_t total_kb() const;
  // Libraries on `server`, ascending ids. O(|L|).
  std::vector<LibraryId> libraries_on(std::uint32_t server) const;
  // Bytes the matrix takes (Fig. 10(a): the lookup's storage cost).
  std::size_t footprint_bytes() const { return bits_.size() + stored_kb_.size() * sizeof(std::int64_t); }

 private:
  std::size_t index(std::uint32_t server, LibraryId lib) const {
    return static_cast<std::size_t>(server) * libraries_ + lib;
  }
  std::uint32_t servers_ = 0;
  std::uint32_t libraries_ = 0;
  std::vector<std::uint8_t> bits_;  // servers × libraries, row-major by server
  std::vector<std::int64_t> stored_kb_;
};

struct LibraryPlacementInput {
  std::span<const std::int64_t> size_kb;                // s_i, per library
  std::span<const std::vector<LibraryId>> history;      // G_f of each history function (ids < size_kb.size())
  std::uint32_t servers = 1;                            // |K|
  std::int64_t budget_kb = 0;                           // α_k·W_k, the same on every server
  std::uint32_t closest = 9;                            // N of Eq. 6
  std::uint64_t seed = 1;                               // random only
  std::uint64_t max_steps = ~std::uint64_t{0};          // placements after lines 4-5 (tests: Fig. 7's first step)
};

enum class LibraryPlacementKind { kScorpius, kHot, kRandom };
// Parses "scorpius", "hot", "random"; throws std::invalid_argument naming the text otherwise.
LibraryPlacementKind parse_library_placement(std::string_view name);
const char* library_placement_name(LibraryPlacementKind kind);

// Throws std::invalid_argument for an out-of-range library id in history, a negative size, zero servers
// or a negative budget.
LibraryMatrix place_libraries(LibraryPlacementKind kind, const LibraryPlacementInput& in);

}  // namespace hearth::policy
