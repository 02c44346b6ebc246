#include "net/http_handler.h"

namespace hearth::net {

bool PendingReply::send(HttpResponse response) {
  std::function<void(HttpResponse)> deliver;
  {
    std::lock_guard lock(mu_);
    deliver.swap(deliver_);
  }
  if (!deliver) return false;
  deliver(std::move(response));
  return true;
}

}  // namespace hearth::net
