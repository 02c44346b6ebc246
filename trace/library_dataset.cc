#include "trace/library_dataset.h"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>

#include "model/stable_hash.h"
#include "trace/csv_reader.h"

namespace hearth::trace {

std::vector<std::int64_t> LibraryDataset::sizes_kb() const {
  std::vector<std::int64_t> out;
  out.reserve(libraries.size());
  for (const auto& l : libraries) out.push_back(l.size_kb);
  return out;
}

LibraryDataset read_library_dataset(const std::string& path) {
  CsvReader csv(path);
  const std::string file = base_name(path);
  if (!csv.next()) throw TraceError(file, 0, "empty file (expected the header name,version,size_kb,...)");
  {
    static const char* kHeader[] = {"name", "version", "size_kb", "reverse_deps", "rank", "depends"};
    bool ok = csv.size() == 6;
    for (std::size_t i = 0; ok && i < 6; ++i) ok = csv[i] == kHeader[i];
    if (!ok) csv.fail("expected the header name,version,size_kb,reverse_deps,rank,depends");
  }
  LibraryDataset ds;
  ds.source = path;
  std::unordered_map<std::string, policy::LibraryId> ids;
  std::vector<std::pair<long, std::string>> deps_text;  // line, depends field (resolved after the pass)
  while (csv.next()) {
    csv.expect_fields(6);
    if (ds.libraries.size() >= LibraryDataset::kMaxLibraries)
      csv.fail("more than " + std::to_string(LibraryDataset::kMaxLibraries) + " libraries");
    LibraryRecord r;
    r.name = std::string(csv[0]);
    if (r.name.empty()) csv.fail("empty library name");
    if (r.name.find(' ') != std::string::npos) csv.fail("library name '" + r.name + "' contains a space");
    r.version = std::string(csv[1]);
    r.size_kb = csv.non_negative_int(2);
    r.reverse_deps = csv.non_negative_int(3);
    r.rank = csv.non_negative_int(4);
    if (!ids.emplace(r.name, static_cast<policy::LibraryId>(ds.libraries.size())).second)
      csv.fail("duplicate library '" + r.name + "'");
    deps_text.emplace_back(csv.line(), std::string(csv[5]));
    ds.libraries.push_back(std::move(r));
  }
  for (std::size_t i = 0; i < ds.libraries.size(); ++i) {
    const auto& [line, text] = deps_text[i];
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t end = text.find(' ', pos);
      if (end == std::string::npos) end = text.size();
      const std::string name = text.substr(pos, end - pos);
      pos = end + 1;
      if (name.empty()) throw TraceError(file, line, "empty name in depends (two spaces?)");
      const auto it = ids.find(name);
      if (it == ids.end()) throw TraceError(file, line, "depends on '" + name + "', which is not in the file");
      if (it->second == i) throw TraceError(file, line, "'" + name + "' depends on itself");
      ds.libraries[i].depends.push_back(it->second);
    }
  }
  return ds;
}

std::vector<policy::LibraryId> import_closure(const LibraryDataset& ds, policy::LibraryId lib) {
  std::vector<bool> seen(ds.libraries.size(), false);
  std::vector<policy::LibraryId> stack(ds.libraries[lib].depends), out;
  seen[lib] = true;
  while (!stack.empty()) {
    const policy::LibraryId x = stack.back();
    stack.pop_back();
    if (seen[x]) continue;
    seen[x] = true;
    out.push_back(x);
    for (policy::LibraryId d : ds.libraries[x].depends)
      if (!seen[d]) stack.push_back(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

LibraryAssignment assign_libraries(const LibraryDataset& ds, std::size_t functions, std::uint64_t seed) {
  std::vector<policy::LibraryId> history_t, eval_t;
  for (policy::LibraryId i = 0; i < ds.libraries.size(); ++i) {
    if (ds.libraries[i].depends.empty()) continue;
    const std::uint64_t h = model::stable_hash(ds.libraries[i].name) ^ (seed * 0x9e3779b97f4a7c15ull);
    ((h >> 17) & 1 ? eval_t : history_t).push_back(i);
  }
  if (history_t.empty() || eval_t.empty())
    throw std::invalid_argument("library data set " + ds.source +
                                " has too few function templates (libraries with dependencies) for two halves");
  LibraryAssignment a;
  for (policy::LibraryId t : history_t) a.history.push_back(import_closure(ds, t));
  std::vector<std::vector<policy::LibraryId>> eval_closure;
  for (policy::LibraryId t : eval_t) eval_closure.push_back(import_closure(ds, t));
  std::uint64_t state = seed + 0x632be59bd9b4e019ull;
  for (std::size_t f = 0; f < functions; ++f) {
    const std::size_t k = model::splitmix64(state) % eval_t.size();
    a.functions.push_back(eval_closure[k]);
    a.function_template.push_back(eval_t[k]);
  }
  return a;
}

}  // namespace hearth::trace
