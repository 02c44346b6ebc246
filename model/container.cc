#include "model/container.h"

namespace hearth::model {

const char* container_state_name(ContainerState s) {
  switch (s) {
    case ContainerState::kStarting: return "starting";
    case ContainerState::kBusy: return "busy";
    case ContainerState::kIdle: return "idle";
    case ContainerState::kPrewarmed: return "prewarmed";
    case ContainerState::kPaused: return "paused";
  }
  return "unknown";
}

}  // namespace hearth::model
