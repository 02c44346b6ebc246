// Server lookup (Scorpius, seed 000 §III-B.2, Eq. 7): the server on which a function shares the most
// prepared library bytes, q = argmax_k Σ_i M_ik·f_i, skipping servers the caller marks overloaded.
// M is the library-status matrix (policy/library_placement.h), f the function's import vector (its
// library ids). Ties go to the first tied server at or after `tie_start` in cyclic order, so callers can
// spread functions that share nothing anywhere (Scorpius leaves ties open). Returns nullopt when every
// server is skipped.
// Cost per call: O(|K|·|G_f|) bit probes (Fig. 10(b): linear in servers); no allocation. Pure.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "policy/library_placement.h"

namespace hearth::policy {

struct LookupResult {
  std::uint32_t server = 0;
  std::int64_t shared_kb = 0;  // Σ_i M_ik·f_i on that server
};

// Bytes of `libs` prepared on `server` (one row of the matrix product). Ids must be < m.libraries().
std::int64_t shared_kb(const LibraryMatrix& m, std::uint32_t server, std::span<const LibraryId> libs,
                       std::span<const std::int64_t> size_kb);

std::optional<LookupResult> lookup_server(const LibraryMatrix& m, std::span<const LibraryId> libs,
                                          std::span<const std::int64_t> size_kb,
                                          const std::function<bool(std::uint32_t)>& overloaded,
                                          std::uint32_t tie_start = 0);

}  // namespace hearth::policy
