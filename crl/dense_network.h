// DenseNetwork: the inference copy of a QNetwork (crl/q_network.h): the same layers' weights as plain
// float matrices, evaluated with Eigen's matrix-vector products. Why not libtorch for inference: Debian's
// libtorch_cpu calls the system BLAS, which on a default install is the unoptimised reference libblas, so a
// batch-1 forward of the paper's network costs ≈ 1.6 ms there; Eigen's vectorised GEMV does the same
// arithmetic several times faster (BENCHMARKS.md, crl_bench: BM_TorchForward vs BM_DenseForward).
// Q-values agree with the torch network's to float rounding (tests/crl). Torch-free.
// Cost: Σ in·out multiply-adds per forward; no allocation after construction.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace hearth::crl {

struct DenseLayer {
  std::size_t inputs = 0, outputs = 0;
  std::vector<float> weights;  // outputs × inputs, row-major (torch's Linear layout)
  std::vector<float> bias;     // outputs
};

class DenseNetwork {
 public:
  DenseNetwork() = default;
  // ReLU after every layer but the last. Throws std::invalid_argument for inconsistent layer sizes.
  explicit DenseNetwork(std::vector<DenseLayer> layers);
  std::size_t inputs() const { return layers_.empty() ? 0 : layers_.front().inputs; }
  std::size_t outputs() const { return layers_.empty() ? 0 : layers_.back().outputs; }
  // Q-values of one state. Not thread-safe (scratch buffers).
  void q_values(std::span<const float> state, std::span<float> out) const;

 private:
  std::vector<DenseLayer> layers_;
  mutable std::vector<float> a_, b_;
};

}  // namespace hearth::crl
