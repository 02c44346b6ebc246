// CrlModel: a trained CRL model (seed 002 §VI-C): the function slots, the environments' centroids and one
// Q-network per environment. On disk, a directory:
//   manifest.json   {"format": "hearth-crl", "version": 2, "priority": SPEC, "functions": [{name, memory_mb,
//                   cpu_cores, priority}], "normalisation": {...}, "hidden": [...], "state_size", "actions",
//                   "environments": [{"centroid": [...], "network": "env0.pt", "minutes": n}], "training": {...}}
//   env<i>.pt       torch::save archive of environment i's network
// Loading validates everything and throws std::runtime_error naming the directory/file and the problem
// (missing manifest, not JSON, wrong format or version, a priority spec make_priority_model refuses,
// centroid or network of the wrong size, missing network file). Version 1 (the stand-in priority) is refused.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crl/crl_history.h"
#include "crl/fps_episode.h"
#include "crl/q_network.h"

namespace hearth::crl {

inline constexpr int kCrlModelVersion = 2;

struct CrlTrainingInfo {
  std::string trace;  // what it was trained on
  std::uint64_t seed = 0;
  std::int64_t episodes_per_environment = 0;
  double seconds = 0;
};

struct CrlModel {
  std::vector<CrlFunction> functions;     // priority: as of the end of training (for reading only)
  std::string priority_spec = "param2";  // the priority model it was trained with, and decides with
  std::vector<std::vector<double>> centroids;  // one per environment, functions.size() entries each
  std::vector<std::int64_t> environment_minutes;
  std::vector<std::int64_t> hidden;
  double priority_scale = 1;  // the largest training priority (state normalisation)
  std::vector<QNetwork> networks;  // one per environment
  CrlTrainingInfo training;

  NetworkShape shape() const {
    return {FpsEpisode::state_size(functions.size()), FpsEpisode::action_count(functions.size()), hidden};
  }
};

void save_crl_model(const CrlModel& model, const std::string& dir);  // creates dir if needed
CrlModel load_crl_model(const std::string& dir);

}  // namespace hearth::crl
