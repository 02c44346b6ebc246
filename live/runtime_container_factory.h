// RuntimeContainerFactory: containers backed by real runtime processes (runtime/RuntimeProcess):
// writes the action's code under <code_dir>/<ns>/<name>/<version>/ (native code arrives base64), starts
// the language runtime and initialises it. Sandboxing (namespaces, cgroups, seccomp) is not yet applied:
// runtimes run as plain child processes of the platform (issue 3 remains open for sandbox/).
#pragma once

#include <atomic>
#include <string>

#include "live/live_container.h"

namespace hearth::live {

class RuntimeContainerFactory final : public ContainerFactory {
 public:
  explicit RuntimeContainerFactory(std::string code_dir);
  std::unique_ptr<LiveContainer> create(const ActionRecord& action, std::int64_t* init_us, std::string* error) override;

 private:
  // The code file for `action` (written once per version); throws std::runtime_error on I/O errors.
  std::string materialise(const ActionRecord& action);
  std::string code_dir_;
  std::atomic<std::uint64_t> next_id_{1};
};

}  // namespace hearth::live
