#include "policy/server_lookup.h"

namespace hearth::policy {

std::int64_t shared_kb(const LibraryMatrix& m, std::uint32_t server, std::span<const LibraryId> libs,
                       std::span<const std::int64_t> size_kb) {
  std::int64_t sum = 0;
  for (LibraryId i : libs)
    if (m.has(server, i)) sum += size_kb[i];
  return sum;
}

std::optional<LookupResult> lookup_server(const LibraryMatrix& m, std::span<const LibraryId> libs,
                                          std::span<const std::int64_t> size_kb,
                                          const std::function<bool(std::uint32_t)>& overloaded,
                                          std::uint32_t tie_start) {
  const std::uint32_t n = m.servers();
  std::optional<LookupResult> best;
  for (std::uint32_t step = 0; step < n; ++step) {
    const std::uint32_t k = (tie_start % n + step) % n;
    if (overloaded && overloaded(k)) continue;
    const std::int64_t s = shared_kb(m, k, libs, size_kb);
    if (!best || s > best->shared_kb) best = LookupResult{k, s};
  }
  return best;
}

}  // namespace hearth::policy
