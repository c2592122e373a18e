#include "klinik/log.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <iostream>
#include <mutex>
#include <stdexcept>

#include "klinik/time_util.h"

namespace klinik {
namespace redact {

std::string Nik(std::string_view nik) {
  if (nik.size() < 2) return std::string(nik.size(), '*');
  return std::string(nik.substr(0, 2)) + std::string(nik.size() - 2, '*');
}

std::string Name(std::string_view name) {
  if (name.empty()) return "";
  return std::string(1, name.front()) + "***";
}

std::string Phone(std::string_view phone) {
  if (phone.size() <= 5) return std::string(phone.size(), '*');
  return std::string(phone.substr(0, 3)) + std::string(phone.size() - 5, '*') +
         std::string(phone.substr(phone.size() - 2));
}

std::string Scrub(std::string_view text) {
  std::string out(text);
  size_t i = 0;
  while (i < out.size()) {
    if (!std::isdigit(static_cast<unsigned char>(out[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < out.size() && std::isdigit(static_cast<unsigned char>(out[j]))) ++j;
    if (j - i >= 10)
      std::fill(out.begin() + static_cast<long>(i), out.begin() + static_cast<long>(j), '*');
    i = j;
  }
  return out;
}

bool IsPersonalField(std::string_view key) {
  std::string lower(key);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (std::string_view word : {"nik", "name", "phone", "birth", "address", "street", "bpjs",
                                "mother", "dosage", "notes"}) {
    if (lower.find(word) != std::string::npos) {
      // Identifiers of clinics, facilities and services are not personal data.
      if (lower == "service" || lower.ends_with("_id") || lower == "topic") return false;
      return true;
    }
  }
  return false;
}

}  // namespace redact

namespace log {
namespace {

std::atomic<int> g_level{static_cast<int>(Level::kInfo)};
std::mutex g_mutex;
std::string g_service = "klinik";
std::ostream* g_sink = nullptr;

const char* LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

nlohmann::json Clean(const std::string& key, const nlohmann::json& value) {
  if (redact::IsPersonalField(key)) return "[redacted]";
  if (value.is_string()) return redact::Scrub(value.get<std::string>());
  if (value.is_number_integer() || value.is_number_unsigned()) {
    // A NIK passed as a number is still a NIK.
    std::string digits = value.dump();
    if (digits.size() >= 10) return redact::Scrub(digits);
  }
  if (value.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = value.begin(); it != value.end(); ++it)
      out[it.key()] = Clean(it.key(), it.value());
    return out;
  }
  if (value.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& item : value) out.push_back(Clean(key, item));
    return out;
  }
  return value;
}

}  // namespace

void SetService(std::string_view service) {
  std::lock_guard lock(g_mutex);
  g_service = service;
}

void SetLevel(Level level) { g_level = static_cast<int>(level); }

Level ParseLevel(std::string_view text) {
  if (text == "debug") return Level::kDebug;
  if (text == "info") return Level::kInfo;
  if (text == "warn") return Level::kWarn;
  if (text == "error") return Level::kError;
  throw std::invalid_argument("expected debug, info, warn or error");
}

void SetSink(std::ostream* sink) {
  std::lock_guard lock(g_mutex);
  g_sink = sink;
}

std::string Format(Level level, std::string_view message, const Fields& fields) {
  nlohmann::json line = nlohmann::json::object();
  line["ts"] = FormatRfc3339(std::chrono::system_clock::now(), /*millis=*/true);
  line["level"] = LevelName(level);
  {
    std::lock_guard lock(g_mutex);
    line["service"] = g_service;
  }
  line["msg"] = redact::Scrub(message);
  for (const auto& [key, value] : fields) line[key] = Clean(key, value);
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void Write(Level level, std::string_view message, const Fields& fields) {
  if (static_cast<int>(level) < g_level.load()) return;
  std::string text = Format(level, message, fields);
  std::lock_guard lock(g_mutex);
  std::ostream& out = g_sink ? *g_sink : std::cout;
  out << text << '\n';
  out.flush();
}

}  // namespace log
}  // namespace klinik
