// OpenWhisk's entity-name rule, applied to every name that becomes a path segment (namespace, action,
// the directory an invoker writes code to): EntityName.REGEX in OpenWhisk's EntityPath.scala,
//   \A([\w]|[\w][\w@ .&-]{0,254}[\w@.&-])\z      (\w = [A-Za-z0-9_]; at most 256 characters)
// so a name starts with a letter, digit or underscore, never ends in a space, and "." and ".." (or any
// name with '/') are never names. Activation ids are OpenWhisk's: 32 lowercase hex digits.
// Pure functions, O(length).
#pragma once

#include <string>
#include <string_view>

namespace hearth::controller {

inline constexpr std::size_t kMaxEntityNameLength = 256;

bool valid_entity_name(std::string_view name);
// Why `name` is not a valid entity name ("" when it is), naming it: for 400 answers and exceptions.
std::string entity_name_error(std::string_view what, std::string_view name);
bool valid_activation_id(std::string_view id);

}  // namespace hearth::controller
