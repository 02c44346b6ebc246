// QNetwork: CRL's Deep Q-Network (seed 002 §VI-C, after Algorithm 1): fully connected layers (the paper's
// 1024-512-512-256 hidden by default), ReLU after each hidden layer, a linear output of one Q-value per
// action; trained with Adam on the mean squared error of Q(s, a) against given targets.
// The only translation unit of Hearth that includes libtorch is q_network.cc; this header is torch-free
// (the network lives behind a pointer). Inference runs without autograd on one intra-op thread (decisions
// are small; the node's cores belong to the functions). Files: torch::save's archive of the parameters.
// Cost per forward: Σ in·out over the layers multiply-adds (paper shape, 450 inputs: ≈ 1.4 M).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "crl/dense_network.h"

namespace hearth::crl {

struct NetworkShape {
  std::size_t inputs = 0;
  std::size_t outputs = 0;
  std::vector<std::int64_t> hidden = {1024, 512, 512, 256};
};

class QNetwork {
 public:
  // Parameters initialised by torch's default (Kaiming-uniform) from `seed`.
  QNetwork(NetworkShape shape, std::uint64_t seed);
  ~QNetwork();
  QNetwork(QNetwork&&) noexcept;
  QNetwork& operator=(QNetwork&&) noexcept;

  const NetworkShape& shape() const { return shape_; }
  std::size_t parameter_count() const;

  // Q-values of `rows` states (rows × inputs floats, row-major) into out (rows × outputs).
  void q_values(std::span<const float> states, std::size_t rows, std::span<float> out) const;
  // One Adam step (created on first use with `learning_rate`) on mean((Q(s_b, a_b) − target_b)²);
  // returns the loss before the step.
  double fit(std::span<const float> states, std::span<const std::int64_t> actions, std::span<const float> targets,
             double learning_rate);
  // The weights as a DenseNetwork (the scheduler's inference path).
  DenseNetwork dense() const;
  // This network's parameters := other's (the target network's sync).
  void copy_from(const QNetwork& other);

  // Throws std::runtime_error naming the path (and torch's reason) when it cannot write or read it, or
  // when the file's tensors do not match this network's shape.
  void save(const std::string& path) const;
  void load(const std::string& path);

 private:
  struct Impl;
  NetworkShape shape_;
  std::unique_ptr<Impl> impl_;
};

// Sets libtorch's intra-op threads (training may use the machine; inference uses 1).
void set_torch_threads(int threads);

}  // namespace hearth::crl
