// A ContainerFactory without processes for dispatcher tests: a container echoes its params as the
// result, reports a crash (broken container) when the params mention "crash", sleeps 300 ms when they
// mention "sleep", and fails to initialise code "bad". Counts creations and stem-cell starts.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "live/live_container.h"

namespace hearth::live {

class FakeContainer final : public LiveContainer {
 public:
  explicit FakeContainer(std::string id) : id_(std::move(id)) {}
  RunOutcome run(const std::string& params, std::int64_t) override {
    RunOutcome o;
    o.result_json = params;
    o.run_us = 10;
    if (params.find("sleep") != std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (params.find("crash") != std::string::npos) {
      o.status = "developer error";
      o.container_broken = true;
    }
    return o;
  }
  const std::string& id() const override { return id_; }
  bool specialise(const ActionRecord& a, std::int64_t* init_us, std::string* error) override {
    *init_us = 2;
    if (a.code == "bad") {
      *error = "SyntaxError: bad";
      return false;
    }
    return true;
  }

 private:
  std::string id_;
};

class FakeFactory final : public ContainerFactory {
 public:
  std::unique_ptr<LiveContainer> create(const ActionRecord& a, std::int64_t* init_us, std::string* error) override {
    *init_us = 5;
    ++created;
    if (a.code == "bad") {
      *error = "SyntaxError: bad";
      return nullptr;
    }
    return std::make_unique<FakeContainer>("c" + std::to_string(created.load()));
  }
  std::unique_ptr<LiveContainer> start_generic(model::RuntimeKind, model::MegaBytes) override {
    ++generic;
    return std::make_unique<FakeContainer>("stem" + std::to_string(generic.load()));
  }
  std::atomic<int> created{0};
  std::atomic<int> generic{0};
};

}  // namespace hearth::live
