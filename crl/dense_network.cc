#include "crl/dense_network.h"

#include <Eigen/Core>
#include <algorithm>
#include <stdexcept>
#include <string>

namespace hearth::crl {

DenseNetwork::DenseNetwork(std::vector<DenseLayer> layers) : layers_(std::move(layers)) {
  std::size_t widest = 0;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const DenseLayer& l = layers_[i];
    if (l.weights.size() != l.inputs * l.outputs || l.bias.size() != l.outputs ||
        (i > 0 && l.inputs != layers_[i - 1].outputs))
      throw std::invalid_argument("DenseNetwork: layer " + std::to_string(i) + " has inconsistent sizes");
    widest = std::max({widest, l.inputs, l.outputs});
  }
  a_.resize(widest);
  b_.resize(widest);
}

void DenseNetwork::q_values(std::span<const float> state, std::span<float> out) const {
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  if (layers_.empty() || state.size() != inputs() || out.size() != outputs())
    throw std::invalid_argument("DenseNetwork::q_values: sizes do not match the network");
  const float* x = state.data();
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    const DenseLayer& l = layers_[i];
    const bool last = i + 1 == layers_.size();
    float* y = last ? out.data() : (i % 2 == 0 ? a_.data() : b_.data());
    const Eigen::Map<const Matrix> w(l.weights.data(), static_cast<Eigen::Index>(l.outputs),
                                     static_cast<Eigen::Index>(l.inputs));
    const Eigen::Map<const Eigen::VectorXf> xin(x, static_cast<Eigen::Index>(l.inputs));
    const Eigen::Map<const Eigen::VectorXf> bias(l.bias.data(), static_cast<Eigen::Index>(l.outputs));
    Eigen::Map<Eigen::VectorXf> yout(y, static_cast<Eigen::Index>(l.outputs));
    yout.noalias() = w * xin;
    yout += bias;
    if (!last) yout = yout.cwiseMax(0.f);
    x = y;
  }
}

}  // namespace hearth::crl
