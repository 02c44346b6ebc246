#include "controller/entity_name.h"

namespace hearth::controller {
namespace {

bool word(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool inner(char c) { return word(c) || c == '@' || c == ' ' || c == '.' || c == '&' || c == '-'; }
bool last(char c) { return inner(c) && c != ' '; }

}  // namespace

bool valid_entity_name(std::string_view s) {
  if (s.empty() || s.size() > kMaxEntityNameLength || !word(s.front())) return false;
  if (s.size() == 1) return true;
  for (std::size_t i = 1; i + 1 < s.size(); ++i)
    if (!inner(s[i])) return false;
  return last(s.back());
}

std::string entity_name_error(std::string_view what, std::string_view name) {
  if (valid_entity_name(name)) return "";
  if (name.size() > kMaxEntityNameLength)
    return std::string(what) + " longer than allowed: " + std::to_string(name.size()) + " > " +
           std::to_string(kMaxEntityNameLength) + ".";
  std::string shown(name.substr(0, 64));
  return "The " + std::string(what) + " '" + shown + "' contains illegal characters: a name starts with a letter, " +
         "digit or underscore and holds only those, spaces and @ . & - (not ending in a space).";
}

bool valid_activation_id(std::string_view id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace hearth::controller
