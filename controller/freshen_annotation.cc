#include "controller/freshen_annotation.h"

#include <nlohmann/json.hpp>

namespace hearth::controller {

void annotate_freshen(net::ActivationRecord& record, const char* trigger) {
  using nlohmann::json;
  if (record.freshen_json.empty() && !trigger) return;
  json value = json::parse(record.freshen_json.empty() ? "{}" : record.freshen_json, nullptr, false);
  if (!value.is_object()) value = json{{"report", "unreadable"}};  // from an invoker: never trusted to parse
  if (trigger) value["trigger"] = trigger;
  json annotations = json::parse(record.annotations_json.empty() ? "[]" : record.annotations_json, nullptr, false);
  if (!annotations.is_array()) annotations = json::array();
  annotations.push_back({{"key", "freshen"}, {"value", value}});
  record.annotations_json = annotations.dump();
}

}  // namespace hearth::controller
