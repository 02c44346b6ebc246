// OpenWhisk's action hash, as ShardingContainerPoolBalancer.generateHash computes it:
//   (namespace.hashCode() ^ fullyQualifiedName.hashCode()).abs
// with Java's String.hashCode (s[0]·31^(n−1) + … + s[n−1] over UTF-16 code units, int32 wrap-around) and
// Scala's Int.abs, under which Int.MinValue stays Int.MinValue (negative).
// A Hearth function is an OpenWhisk action as follows: a name "ns/action" (the live platform's functions)
// is namespace "ns" and fully qualified name "ns/action"; a name without '/' (trace functions: hashes)
// is action `name` in OpenWhisk's default namespace "guest", fully qualified "guest/name" (or in
// `default_namespace` where given: Sophon's experiment varies it to draw other hash assignments).
// Cost: O(length of the name).
#pragma once

#include <cstdint>
#include <string_view>

namespace hearth::policy {

// Java's String.hashCode of `utf8` decoded to UTF-16 (code points above U+FFFF become surrogate pairs,
// malformed bytes become U+FFFD as Java's UTF-8 decoder replaces them).
std::int32_t java_string_hash(std::string_view utf8);

// generateHash(namespace, action): may be negative only when the XOR is Int.MinValue.
std::int32_t openwhisk_action_hash(std::string_view ns, std::string_view fully_qualified_name);

// generateHash of a Hearth function name (the namespace rule above).
std::int32_t openwhisk_function_hash(std::string_view function_name, std::string_view default_namespace = "guest");

}  // namespace hearth::policy
