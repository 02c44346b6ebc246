#include "policy/library_placement.h"

#include <algorithm>
#include <functional>
#include <numeric>
#include <queue>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "model/stable_hash.h"

namespace hearth::policy {

LibraryMatrix::LibraryMatrix(std::uint32_t servers, std::uint32_t libraries)
    : servers_(servers),
      libraries_(libraries),
      bits_(static_cast<std::size_t>(servers) * libraries, 0),
      stored_kb_(servers, 0) {}

bool LibraryMatrix::add(std::uint32_t server, LibraryId lib, std::int64_t size_kb) {
  auto& b = bits_[index(server, lib)];
  if (b) return false;
  b = 1;
  stored_kb_[server] += size_kb;
  return true;
}

bool LibraryMatrix::remove(std::uint32_t server, LibraryId lib, std::int64_t size_kb) {
  auto& b = bits_[index(server, lib)];
  if (!b) return false;
  b = 0;
  stored_kb_[server] -= size_kb;
  return true;
}

std::int64_t LibraryMatrix::total_kb() const {
  return std::accumulate(stored_kb_.begin(), stored_kb_.end(), std::int64_t{0});
}

std::vector<LibraryId> LibraryMatrix::libraries_on(std::uint32_t server) const {
  std::vector<LibraryId> out;
  for (LibraryId i = 0; i < libraries_; ++i)
    if (has(server, i)) out.push_back(i);
  return out;
}

LibraryPlacementKind parse_library_placement(std::string_view name) {
  if (name == "scorpius") return LibraryPlacementKind::kScorpius;
  if (name == "hot") return LibraryPlacementKind::kHot;
  if (name == "random") return LibraryPlacementKind::kRandom;
  throw std::invalid_argument("unknown library placement '" + std::string(name) +
                              "' (expected scorpius, hot or random)");
}

const char* library_placement_name(LibraryPlacementKind kind) {
  switch (kind) {
    case LibraryPlacementKind::kScorpius: return "scorpius";
    case LibraryPlacementKind::kHot: return "hot";
    case LibraryPlacementKind::kRandom: return "random";
  }
  return "?";
}

namespace {

void validate(const LibraryPlacementInput& in) {
  if (in.servers == 0) throw std::invalid_argument("library placement: zero servers");
  if (in.budget_kb < 0) throw std::invalid_argument("library placement: negative storage budget");
  for (std::size_t i = 0; i < in.size_kb.size(); ++i)
    if (in.size_kb[i] < 0)
      throw std::invalid_argument("library placement: library " + std::to_string(i) + " has a negative size");
  for (std::size_t f = 0; f < in.history.size(); ++f)
    for (LibraryId i : in.history[f])
      if (i >= in.size_kb.size())
        throw std::invalid_argument("library placement: history function " + std::to_string(f) + " imports library " +
                                    std::to_string(i) + " of " + std::to_string(in.size_kb.size()));
}

// The state Algorithm 1's loop and the Hot/Random baselines share.
struct Placer {
  const LibraryPlacementInput& in;
  LibraryMatrix m;
  std::vector<bool> open;
  std::uint32_t open_count;
  std::vector<std::vector<LibraryId>> on_server;  // U_k in placement order

  explicit Placer(const LibraryPlacementInput& input)
      : in(input),
        m(input.servers, static_cast<std::uint32_t>(input.size_kb.size())),
        open(input.servers, true),
        open_count(input.servers),
        on_server(input.servers) {}

  bool fits(std::uint32_t k, LibraryId p) const { return m.stored_kb(k) + in.size_kb[p] <= in.budget_kb; }
  void put(std::uint32_t k, LibraryId p) {
    m.add(k, p, in.size_kb[p]);
    on_server[k].push_back(p);
  }
  void close(std::uint32_t k) {
    open[k] = false;
    --open_count;
  }
  // The open server lacking p with the least storage used (ties: lowest id), or servers() if none.
  std::uint32_t least_used_lacking(LibraryId p) const {
    std::uint32_t best = in.servers;
    for (std::uint32_t k = 0; k < in.servers; ++k)
      if (open[k] && !m.has(k, p) && (best == in.servers || m.stored_kb(k) < m.stored_kb(best))) best = k;
    return best;
  }
};

std::vector<std::int64_t> import_frequency(const LibraryPlacementInput& in) {
  std::vector<std::int64_t> r(in.size_kb.size(), 0);
  for (const auto& g : in.history) {
    std::vector<LibraryId> uniq(g);
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    for (LibraryId i : uniq) ++r[i];
  }
  return r;
}

// C_ij (Algorithm 1 line 2): per library, its co-imported libraries with counts, sorted by id.
std::vector<std::vector<std::pair<LibraryId, std::int64_t>>> closeness(const LibraryPlacementInput& in) {
  std::vector<std::unordered_map<LibraryId, std::int64_t>> c(in.size_kb.size());
  for (const auto& g : in.history) {
    std::vector<LibraryId> uniq(g);
    std::sort(uniq.begin(), uniq.end());
    uniq.erase(std::unique(uniq.begin(), uniq.end()), uniq.end());
    for (std::size_t a = 0; a < uniq.size(); ++a)
      for (std::size_t b = a + 1; b < uniq.size(); ++b) {
        ++c[uniq[a]][uniq[b]];
        ++c[uniq[b]][uniq[a]];
      }
  }
  std::vector<std::vector<std::pair<LibraryId, std::int64_t>>> out(c.size());
  for (std::size_t i = 0; i < c.size(); ++i) {
    out[i].assign(c[i].begin(), c[i].end());
    std::sort(out[i].begin(), out[i].end());
  }
  return out;
}

LibraryMatrix place_by_enthusiasm(const LibraryPlacementInput& in, bool use_closeness) {
  Placer pl(in);
  const auto r = import_frequency(in);
  const auto c = use_closeness ? closeness(in) : std::vector<std::vector<std::pair<LibraryId, std::int64_t>>>{};
  const std::uint32_t nl = static_cast<std::uint32_t>(r.size());

  // Lines 4-5: server n gets the n-th most imported library (ties: lower id), if it fits.
  std::vector<LibraryId> by_r(nl);
  std::iota(by_r.begin(), by_r.end(), 0);
  std::stable_sort(by_r.begin(), by_r.end(), [&](LibraryId a, LibraryId b) { return r[a] > r[b]; });
  for (std::uint32_t n = 0; n < in.servers && n < nl && r[by_r[n]] > 0; ++n)
    if (pl.fits(n, by_r[n])) pl.put(n, by_r[n]);

  // Line 3 and the loop of lines 6-14. E_i = r_i / t_i² (Eq. 5); a max-heap of (E, id) with lazy entries.
  std::vector<std::int64_t> t(nl, 1);
  struct Entry {
    double e;
    LibraryId id;
    std::int64_t t;
    bool operator<(const Entry& o) const { return e != o.e ? e < o.e : id > o.id; }
  };
  std::priority_queue<Entry> heap;
  for (LibraryId i = 0; i < nl; ++i)
    if (r[i] > 0 && in.size_kb[i] <= in.budget_kb) heap.push({static_cast<double>(r[i]), i, 1});

  std::vector<std::vector<std::int64_t>> vals(in.servers);  // scratch: C_pj of j on each server
  std::vector<std::int64_t> d(in.servers);
  std::uint64_t steps = 0;
  while (pl.open_count > 0 && !heap.empty() && steps < in.max_steps) {
    const Entry top = heap.top();
    if (top.t != t[top.id]) {
      heap.pop();
      continue;
    }
    const LibraryId p = top.id;
    std::uint32_t q = in.servers;
    if (!use_closeness) {
      q = pl.least_used_lacking(p);
    } else {
      // Eq. 6: D_pk = the sum of the N largest C_pj over j on server k.
      for (auto& v : vals) v.clear();
      for (const auto& [j, cnt] : c[p])
        for (std::uint32_t k = 0; k < in.servers; ++k)
          if (pl.open[k] && pl.m.has(k, j)) vals[k].push_back(cnt);
      for (std::uint32_t k = 0; k < in.servers; ++k) {
        auto& v = vals[k];
        const std::size_t n = std::min<std::size_t>(in.closest, v.size());
        std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), v.end(), std::greater<>());
        d[k] = std::accumulate(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(n), std::int64_t{0});
      }
      for (std::uint32_t k = 0; k < in.servers; ++k) {
        if (!pl.open[k] || pl.m.has(k, p)) continue;
        if (q == in.servers || d[k] > d[q] || (d[k] == d[q] && pl.m.stored_kb(k) < pl.m.stored_kb(q))) q = k;
      }
    }
    if (q == in.servers) {  // on every open server already: never chosen again
      heap.pop();
      t[p] = -1;
      continue;
    }
    if (!pl.fits(q, p)) {  // lines 12-14: the server is full
      pl.close(q);
      continue;
    }
    heap.pop();
    pl.put(q, p);
    ++steps;
    ++t[p];  // line 8 with Eq. 5's E = r / t²
    heap.push({static_cast<double>(r[p]) / static_cast<double>(t[p] * t[p]), p, t[p]});
  }
  return std::move(pl.m);
}

LibraryMatrix place_randomly(const LibraryPlacementInput& in) {
  Placer pl(in);
  std::vector<LibraryId> candidates;
  for (LibraryId i = 0; i < in.size_kb.size(); ++i)
    if (in.size_kb[i] <= in.budget_kb) candidates.push_back(i);
  std::uint64_t state = in.seed * 0x2545f4914f6cdd1dull + 7;
  std::vector<std::uint32_t> lacking;
  std::uint64_t steps = 0;
  while (pl.open_count > 0 && !candidates.empty() && steps < in.max_steps) {
    const std::size_t ci = model::splitmix64(state) % candidates.size();
    const LibraryId p = candidates[ci];
    lacking.clear();
    for (std::uint32_t k = 0; k < in.servers; ++k)
      if (pl.open[k] && !pl.m.has(k, p)) lacking.push_back(k);
    if (lacking.empty()) {
      candidates[ci] = candidates.back();
      candidates.pop_back();
      continue;
    }
    const std::uint32_t q = lacking[model::splitmix64(state) % lacking.size()];
    if (!pl.fits(q, p)) {
      pl.close(q);
      continue;
    }
    pl.put(q, p);
    ++steps;
  }
  return std::move(pl.m);
}

}  // namespace

LibraryMatrix place_libraries(LibraryPlacementKind kind, const LibraryPlacementInput& in) {
  validate(in);
  switch (kind) {
    case LibraryPlacementKind::kScorpius: return place_by_enthusiasm(in, true);
    case LibraryPlacementKind::kHot: return place_by_enthusiasm(in, false);
    case LibraryPlacementKind::kRandom: return place_randomly(in);
  }
  throw std::invalid_argument("library placement: unknown kind");
}

}  // namespace hearth::policy
