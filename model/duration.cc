#include "model/duration.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace hearth::model {

Micros parse_duration(std::string_view text, Micros default_unit) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  const std::string s(text);
  std::size_t split = s.size();
  while (split > 0 && std::isalpha(static_cast<unsigned char>(s[split - 1]))) --split;
  const std::string number = s.substr(0, split), unit = s.substr(split);
  double value = 0;
  const char* end = number.data() + number.size();
  const auto [p, ec] = std::from_chars(number.data(), end, value);
  if (number.empty() || ec != std::errc() || p != end || !std::isfinite(value) || value < 0)
    throw std::invalid_argument("'" + s + "' is not a duration");
  double scale;
  if (unit.empty()) scale = static_cast<double>(default_unit);
  else if (unit == "us") scale = 1;
  else if (unit == "ms") scale = kMicrosPerMilli;
  else if (unit == "s") scale = kMicrosPerSecond;
  else if (unit == "m" || unit == "min") scale = kMicrosPerMinute;
  else if (unit == "h") scale = kMicrosPerHour;
  else if (unit == "d") scale = 24.0 * kMicrosPerHour;
  else throw std::invalid_argument("'" + s + "' has an unknown unit '" + unit + "' (us, ms, s, m, h, d)");
  const double us = value * scale;
  // 2^63 us: llround of anything from there on is unspecified (in practice a negative time).
  if (!(us < 9223372036854775808.0))
    throw std::invalid_argument("'" + s + "' is too long a duration (at most about 292,000 years in microseconds)");
  return static_cast<Micros>(std::llround(us));
}

}  // namespace hearth::model
