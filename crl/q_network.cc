// The one libtorch translation unit: the smallest headers that give Linear, Adam and serialisation.
#include "crl/q_network.h"

#include <torch/nn/module.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/serialize.h>

#include <stdexcept>

namespace hearth::crl {

struct QNetwork::Impl {
  torch::nn::Sequential net;
  std::unique_ptr<torch::optim::Adam> adam;
};

QNetwork::QNetwork(NetworkShape shape, std::uint64_t seed) : shape_(std::move(shape)), impl_(std::make_unique<Impl>()) {
  if (shape_.inputs == 0 || shape_.outputs == 0) throw std::invalid_argument("QNetwork: zero inputs or outputs");
  torch::manual_seed(seed);
  std::int64_t in = static_cast<std::int64_t>(shape_.inputs);
  for (std::int64_t h : shape_.hidden) {
    if (h <= 0) throw std::invalid_argument("QNetwork: a hidden layer of width " + std::to_string(h));
    impl_->net->push_back(torch::nn::Linear(in, h));
    impl_->net->push_back(torch::nn::ReLU());
    in = h;
  }
  impl_->net->push_back(torch::nn::Linear(in, static_cast<std::int64_t>(shape_.outputs)));
}

QNetwork::~QNetwork() = default;
QNetwork::QNetwork(QNetwork&&) noexcept = default;
QNetwork& QNetwork::operator=(QNetwork&&) noexcept = default;

std::size_t QNetwork::parameter_count() const {
  std::size_t n = 0;
  for (const torch::Tensor& p : impl_->net->parameters()) n += static_cast<std::size_t>(p.numel());
  return n;
}

void QNetwork::q_values(std::span<const float> states, std::size_t rows, std::span<float> out) const {
  if (states.size() != rows * shape_.inputs || out.size() != rows * shape_.outputs)
    throw std::invalid_argument("QNetwork::q_values: sizes do not match the network's shape");
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::from_blob(const_cast<float*>(states.data()),
                                           {static_cast<std::int64_t>(rows), static_cast<std::int64_t>(shape_.inputs)},
                                           torch::kFloat32);
  const torch::Tensor q = impl_->net->forward(x).contiguous();
  std::copy_n(q.data_ptr<float>(), out.size(), out.data());
}

double QNetwork::fit(std::span<const float> states, std::span<const std::int64_t> actions,
                     std::span<const float> targets, double learning_rate) {
  const auto rows = static_cast<std::int64_t>(actions.size());
  if (states.size() != actions.size() * shape_.inputs || targets.size() != actions.size())
    throw std::invalid_argument("QNetwork::fit: sizes do not match the network's shape");
  if (!impl_->adam)
    impl_->adam = std::make_unique<torch::optim::Adam>(impl_->net->parameters(),
                                                       torch::optim::AdamOptions(learning_rate));
  const torch::Tensor x = torch::from_blob(const_cast<float*>(states.data()),
                                           {rows, static_cast<std::int64_t>(shape_.inputs)}, torch::kFloat32);
  const torch::Tensor a = torch::from_blob(const_cast<std::int64_t*>(actions.data()), {rows, 1}, torch::kInt64);
  const torch::Tensor y = torch::from_blob(const_cast<float*>(targets.data()), {rows}, torch::kFloat32);
  const torch::Tensor q = impl_->net->forward(x).gather(1, a).squeeze(1);
  torch::Tensor loss = torch::mse_loss(q, y);
  impl_->adam->zero_grad();
  loss.backward();
  impl_->adam->step();
  return loss.item<double>();
}

DenseNetwork QNetwork::dense() const {
  std::vector<DenseLayer> layers;
  for (const auto& module : impl_->net->children()) {
    const auto* linear = module->as<torch::nn::LinearImpl>();
    if (!linear) continue;  // ReLU
    DenseLayer l;
    const torch::Tensor w = linear->weight.detach().contiguous();
    const torch::Tensor b = linear->bias.detach().contiguous();
    l.outputs = static_cast<std::size_t>(w.size(0));
    l.inputs = static_cast<std::size_t>(w.size(1));
    l.weights.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
    l.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
    layers.push_back(std::move(l));
  }
  return DenseNetwork(std::move(layers));
}

void QNetwork::copy_from(const QNetwork& other) {
  torch::NoGradGuard no_grad;
  auto mine = impl_->net->parameters();
  auto theirs = other.impl_->net->parameters();
  if (mine.size() != theirs.size()) throw std::invalid_argument("QNetwork::copy_from: different shapes");
  for (std::size_t i = 0; i < mine.size(); ++i) mine[i].copy_(theirs[i]);
}

void QNetwork::save(const std::string& path) const {
  try {
    torch::serialize::OutputArchive archive;
    impl_->net->save(archive);
    archive.save_to(path);
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": cannot write the network: " + e.what_without_backtrace());
  }
}

void QNetwork::load(const std::string& path) {
  try {
    std::vector<std::vector<std::int64_t>> expected;
    for (const torch::Tensor& p : impl_->net->parameters()) expected.push_back(p.sizes().vec());
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    impl_->net->load(archive);
    const auto params = impl_->net->parameters();
    for (std::size_t i = 0; i < params.size(); ++i)
      if (params[i].sizes().vec() != expected[i])
        throw std::runtime_error(path + ": parameter " + std::to_string(i) + " has another shape than this model's (" +
                                 std::to_string(shape_.inputs) + " inputs, " + std::to_string(shape_.outputs) +
                                 " outputs)");
  } catch (const c10::Error& e) {
    throw std::runtime_error(path + ": not a network of this model's shape (" +
                             std::to_string(shape_.inputs) + " inputs, " + std::to_string(shape_.outputs) +
                             " outputs): " + e.what_without_backtrace());
  }
}

void set_torch_threads(int threads) { torch::set_num_threads(threads); }

}  // namespace hearth::crl
