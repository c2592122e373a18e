#include "local_date.h"

#include <cctype>

namespace screening {

std::optional<std::chrono::minutes> ParseUtcOffset(std::string_view text) {
  if (text == "Z" || text == "z") return std::chrono::minutes(0);
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  auto digits = [](std::string_view s, int& out) {
    if (s.empty() || s.size() > 2) return false;
    out = 0;
    for (char ch : s) {
      if (!std::isdigit(static_cast<unsigned char>(ch))) return false;
      out = out * 10 + (ch - '0');
    }
    return true;
  };
  std::string_view body = text.substr(1);
  int hours = 0, minutes = 0;
  if (size_t colon = body.find(':'); colon != std::string_view::npos) {
    if (!digits(body.substr(0, colon), hours) || body.size() - colon - 1 != 2 ||
        !digits(body.substr(colon + 1), minutes) || minutes >= 60) {
      return std::nullopt;
    }
  } else if (!digits(body, hours)) {
    return std::nullopt;
  }
  int total = hours * 60 + minutes;
  if (text[0] == '-') total = -total;
  if (total < -12 * 60 || total > 14 * 60) return std::nullopt;
  return std::chrono::minutes(total);
}

}  // namespace screening
