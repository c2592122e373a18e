#include "klinik/config.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "klinik/time_util.h"

extern char** environ;

namespace klinik {
namespace {

constexpr std::string_view kPrefix = "KLINIK_";
constexpr std::string_view kKafkaPrefix = "KLINIK_KAFKA_";

bool IsSecretName(std::string_view name) {
  for (std::string_view word : {"SECRET", "PASSWORD", "TOKEN", "SASL_PASSWORD", "KEY"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::string Shown(std::string_view name, std::string_view value) {
  if (IsSecretName(name)) return "'***'";
  std::string shown(value.substr(0, 80));
  return "'" + shown + (value.size() > 80 ? "...'" : "'");
}

[[noreturn]] void Fail(std::string_view name, std::string_view problem) {
  throw ConfigError(std::string(name) + ": " + std::string(problem));
}

}  // namespace

std::chrono::milliseconds ParseDuration(std::string_view text) {
  int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  std::string_view unit(end, text.data() + text.size() - end);
  if (ec != std::errc() || end == text.data() || number < 0) {
    throw std::invalid_argument("expected a duration such as 250ms, 30s, 5m, 72h or 90d");
  }
  static const std::map<std::string_view, int64_t> kUnitsMs = {
      {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000}};
  auto it = kUnitsMs.find(unit);
  if (it == kUnitsMs.end()) {
    throw std::invalid_argument("expected a duration with a unit (ms, s, m, h, d), e.g. 30s");
  }
  // Durations are added to clocks that count nanoseconds in 64 bits (about 292 years from their
  // epoch): at most a century keeps that, and this product, from overflowing.
  constexpr int64_t kMaxMs = int64_t{36'500} * 86'400'000;
  if (number > kMaxMs / it->second) {
    throw std::invalid_argument("duration too long: at most 36500d (100 years)");
  }
  return std::chrono::milliseconds(number * it->second);
}

Config::Config(std::map<std::string, std::string> values) : values_(values.begin(), values.end()) {}

std::string Config::FlagToName(std::string_view flag) {
  std::string name(kPrefix);
  for (char c : flag) name += c == '-' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

Config Config::FromProcess(int argc, char** argv) {
  Config config({});
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (!entry.starts_with(kPrefix)) continue;
    auto eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    config.values_[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  for (int i = 1; i < argc; ++i) {
    std::string_view arg(argv[i]);
    if (arg == "--help" || arg == "-h") {
      config.help_ = true;
      continue;
    }
    if (!arg.starts_with("--") || arg.size() < 3) {
      throw ConfigError(std::string(arg) +
                        ": unexpected argument; flags look like --database-url=VALUE");
    }
    std::string_view body = arg.substr(2);
    std::string value;
    auto eq = body.find('=');
    if (eq != std::string_view::npos) {
      value = std::string(body.substr(eq + 1));
      body = body.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      throw ConfigError("--" + std::string(body) + ": missing value");
    }
    std::string name = FlagToName(body);
    config.values_[name] = value;
    config.from_flags_.insert(name);
  }
  return config;
}

const std::string* Config::Find(std::string_view name) const {
  read_.emplace(name);
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &it->second;
}

bool Config::Has(std::string_view name) const { return Find(name) != nullptr; }

std::string Config::String(std::string_view name, std::string_view fallback) const {
  const std::string* v = Find(name);
  return v ? *v : std::string(fallback);
}

std::string Config::RequiredString(std::string_view name) const {
  const std::string* v = Find(name);
  if (v == nullptr || v->empty()) Fail(name, "is required but not set");
  return *v;
}

int64_t Config::Int(std::string_view name, int64_t fallback, int64_t min, int64_t max) const {
  const std::string* v = Find(name);
  if (v == nullptr) return fallback;
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || end != v->data() + v->size()) {
    Fail(name, "must be a whole number, got " + Shown(name, *v));
  }
  if (out < min || out > max) {
    Fail(name, "must be between " + std::to_string(min) + " and " + std::to_string(max) + ", got " +
                   Shown(name, *v));
  }
  return out;
}

double Config::Double(std::string_view name, double fallback, double min, double max) const {
  const std::string* v = Find(name);
  if (v == nullptr) return fallback;
  char* end = nullptr;
  double out = std::strtod(v->c_str(), &end);
  if (v->empty() || end != v->c_str() + v->size()) {
    Fail(name, "must be a number, got " + Shown(name, *v));
  }
  if (out < min || out > max) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max << ", got " << Shown(name, *v);
    Fail(name, range.str());
  }
  return out;
}

bool Config::Bool(std::string_view name, bool fallback) const {
  const std::string* v = Find(name);
  if (v == nullptr) return fallback;
  std::string lower(*v);
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  if (lower == "true" || lower == "1" || lower == "yes") return true;
  if (lower == "false" || lower == "0" || lower == "no") return false;
  Fail(name, "must be true or false, got " + Shown(name, *v));
}

std::chrono::milliseconds Config::Duration(std::string_view name,
                                           std::chrono::milliseconds fallback) const {
  const std::string* v = Find(name);
  if (v == nullptr) return fallback;
  try {
    return ParseDuration(*v);
  } catch (const std::invalid_argument& e) {
    Fail(name, std::string(e.what()) + ", got " + Shown(name, *v));
  }
}

std::chrono::milliseconds Config::PositiveDuration(std::string_view name,
                                                   std::chrono::milliseconds fallback) const {
  std::chrono::milliseconds value = Duration(name, fallback);
  if (value.count() <= 0) {
    const std::string* v = Find(name);
    Fail(name, "must be more than 0ms, got " + (v ? Shown(name, *v) : std::string("0ms")));
  }
  return value;
}

std::chrono::minutes Config::UtcOffset(std::string_view name, std::chrono::minutes fallback) const {
  const std::string* v = Find(name);
  if (v == nullptr) return fallback;
  std::optional<std::chrono::minutes> offset = ParseUtcOffset(*v);
  if (!offset) {
    Fail(name,
         "expected an offset +hh:mm between -12:00 and +14:00 or WIB (+07:00), WITA (+08:00), "
         "WIT (+09:00), got " +
             Shown(name, *v));
  }
  return *offset;
}

std::string Config::Secret(std::string_view name) const {
  if (const std::string* v = Find(name); v != nullptr && !v->empty()) return *v;
  std::string file_name = std::string(name) + "_FILE";
  const std::string* path = Find(file_name);
  if (path == nullptr || path->empty()) Fail(name, "is required (set it or " + file_name + ")");
  std::ifstream in(*path);
  if (!in) Fail(file_name, "cannot read the file '" + *path + "'");
  std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) Fail(file_name, "the file '" + *path + "' is empty");
  return secret;
}

std::map<std::string, std::string> Config::KafkaProperties() const {
  std::map<std::string, std::string> props;
  for (const auto& [name, value] : values_) {
    if (!name.starts_with(kKafkaPrefix)) continue;
    read_.insert(name);
    std::string key = name.substr(kKafkaPrefix.size());
    std::transform(key.begin(), key.end(), key.begin(),
                   [](char c) { return c == '_' ? '.' : static_cast<char>(std::tolower(c)); });
    props[key] = value;
  }
  return props;
}

void Config::RejectUnknownFlags() const {
  for (const auto& name : from_flags_) {
    if (name.starts_with(kKafkaPrefix)) continue;
    if (!read_.contains(name)) {
      std::string flag = name.substr(kPrefix.size());
      std::transform(flag.begin(), flag.end(), flag.begin(),
                     [](char c) { return c == '_' ? '-' : static_cast<char>(std::tolower(c)); });
      throw ConfigError("--" + flag + ": unknown flag (see --help)");
    }
  }
}

std::string Config::Describe() const {
  std::ostringstream out;
  for (const auto& name : read_) {
    auto it = values_.find(name);
    out << "  " << name << " = " << (it == values_.end() ? "(default)" : Shown(name, it->second))
        << "\n";
  }
  return out.str();
}

}  // namespace klinik
