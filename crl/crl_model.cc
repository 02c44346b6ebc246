#include "crl/crl_model.h"

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "policy/priority_model.h"

namespace hearth::crl {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string network_file(std::size_t env) { return "env" + std::to_string(env) + ".pt"; }

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw std::runtime_error(where + ": " + what);
}

}  // namespace

void save_crl_model(const CrlModel& model, const std::string& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) bad(dir, "cannot create the model directory: " + ec.message());
  json m;
  m["format"] = "hearth-crl";
  m["version"] = kCrlModelVersion;
  m["priority"] = model.priority_spec;
  for (const CrlFunction& f : model.functions)
    m["functions"].push_back({{"name", f.name}, {"memory_mb", f.memory_mb}, {"cpu_cores", f.cpu_cores},
                              {"priority", f.priority}});
  m["normalisation"] = {{"environment", "arrivals per function in a minute divided by the minute's total"},
                        {"priority_scale", model.priority_scale},
                        {"queue_scale", kQueueScale},
                        {"capacity", "memory and cores as fractions of the capacity at the decision"}};
  m["hidden"] = model.hidden;
  const NetworkShape shape = model.shape();
  m["state_size"] = shape.inputs;
  m["actions"] = shape.outputs;
  for (std::size_t e = 0; e < model.centroids.size(); ++e) {
    m["environments"].push_back({{"centroid", model.centroids[e]},
                                 {"network", network_file(e)},
                                 {"minutes", e < model.environment_minutes.size() ? model.environment_minutes[e] : 0}});
    model.networks.at(e).save((fs::path(dir) / network_file(e)).string());
  }
  m["training"] = {{"trace", model.training.trace},
                   {"seed", model.training.seed},
                   {"episodes_per_environment", model.training.episodes_per_environment},
                   {"seconds", model.training.seconds}};
  const std::string path = (fs::path(dir) / "manifest.json").string();
  std::ofstream out(path);
  out << m.dump(1) << '\n';
  if (!out) bad(path, "cannot write the manifest");
}

CrlModel load_crl_model(const std::string& dir) {
  const std::string path = (fs::path(dir) / "manifest.json").string();
  if (!fs::is_directory(dir)) bad(dir, "no CRL model here (not a directory; train one with `hearth incendio train`)");
  std::ifstream in(path);
  if (!in) bad(path, "missing: not a CRL model directory (train one with `hearth incendio train`)");
  json m;
  try {
    m = json::parse(in);
  } catch (const json::exception& e) {
    bad(path, std::string("not valid JSON: ") + e.what());
  }
  CrlModel model;
  try {
    if (m.value("format", std::string()) != "hearth-crl") bad(path, "not a hearth-crl manifest (\"format\")");
    const int version = m.at("version").get<int>();
    if (version != kCrlModelVersion)
      bad(path, "model version " + std::to_string(version) + ", this Hearth reads version " +
                    std::to_string(kCrlModelVersion) + " (retrain it)");
    model.priority_spec = m.at("priority").get<std::string>();
    try {
      policy::make_priority_model(model.priority_spec);
    } catch (const std::invalid_argument& e) {
      bad(path, std::string("\"priority\": ") + e.what());
    }
    for (const json& f : m.at("functions"))
      model.functions.push_back({f.at("name").get<std::string>(), f.at("memory_mb").get<model::MegaBytes>(),
                                 f.at("cpu_cores").get<double>(), f.at("priority").get<double>()});
    if (model.functions.empty()) bad(path, "\"functions\" is empty");
    model.priority_scale = m.at("normalisation").at("priority_scale").get<double>();
    model.hidden = m.at("hidden").get<std::vector<std::int64_t>>();
    const NetworkShape shape = model.shape();
    if (m.at("state_size").get<std::size_t>() != shape.inputs || m.at("actions").get<std::size_t>() != shape.outputs)
      bad(path, "\"state_size\"/\"actions\" do not match its " + std::to_string(model.functions.size()) + " functions");
    if (m.at("environments").empty()) bad(path, "\"environments\" is empty");
    for (const json& e : m.at("environments")) {
      model.centroids.push_back(e.at("centroid").get<std::vector<double>>());
      if (model.centroids.back().size() != model.functions.size())
        bad(path, "environment " + std::to_string(model.centroids.size() - 1) + "'s centroid has " +
                      std::to_string(model.centroids.back().size()) + " entries for " +
                      std::to_string(model.functions.size()) + " functions");
      model.environment_minutes.push_back(e.value("minutes", std::int64_t{0}));
      const std::string net = (fs::path(dir) / e.at("network").get<std::string>()).string();
      if (!fs::is_regular_file(net)) bad(net, "missing network file named in " + path);
      model.networks.emplace_back(shape, 0);
      model.networks.back().load(net);
    }
    const json& t = m.at("training");
    model.training = {t.value("trace", std::string()), t.value("seed", std::uint64_t{0}),
                      t.value("episodes_per_environment", std::int64_t{0}), t.value("seconds", 0.0)};
  } catch (const json::exception& e) {
    bad(path, std::string("malformed manifest: ") + e.what());
  }
  return model;
}

}  // namespace hearth::crl
