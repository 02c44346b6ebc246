// StoreError: what the controller's SQLite files (controller/store.h, controller/key_store.h) throw, with
// the SQLite message and the statement's purpose.
#pragma once

#include <stdexcept>

namespace hearth::controller {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace hearth::controller
