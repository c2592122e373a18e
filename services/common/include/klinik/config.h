// Service configuration: KLINIK_* environment variables, each also a command-line flag
// (KLINIK_DATABASE_URL <-> --database-url=...; a flag wins over the environment).
//
// Values are validated when read; a bad or missing value throws ConfigError whose message is one
// line naming the variable. Services read all of their configuration at start, so a bad value
// stops the process before it touches Kafka or the database:
//
//   klinik::Config config = klinik::Config::FromProcess(argc, argv);
//   auto port = config.Int("KLINIK_BATCH_SIZE", 500, 1, 10000);
//
// Kafka client properties pass through: KLINIK_KAFKA_SECURITY_PROTOCOL -> security.protocol.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>

namespace klinik {

// A start-up failure caused by configuration. what() is one line that names the variable.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Config {
 public:
  // Reads KLINIK_* from the environment and --flags from argv. Throws ConfigError for a
  // malformed flag (anything but --name=value / --name value / --help).
  static Config FromProcess(int argc, char** argv);
  // For tests: the given variables only (names as in the environment).
  explicit Config(std::map<std::string, std::string> values);

  [[nodiscard]] bool Has(std::string_view name) const;
  [[nodiscard]] std::string String(std::string_view name, std::string_view fallback) const;
  [[nodiscard]] std::string RequiredString(std::string_view name) const;
  [[nodiscard]] int64_t Int(std::string_view name, int64_t fallback, int64_t min,
                            int64_t max) const;
  [[nodiscard]] double Double(std::string_view name, double fallback, double min, double max) const;
  [[nodiscard]] bool Bool(std::string_view name, bool fallback) const;
  // Durations are written with a unit: 250ms, 30s, 5m, 72h, 90d.
  [[nodiscard]] std::chrono::milliseconds Duration(std::string_view name,
                                                   std::chrono::milliseconds fallback) const;
  // A Duration that must be more than 0ms (intervals, timeouts, backoffs: zero would spin or
  // never wait).
  [[nodiscard]] std::chrono::milliseconds PositiveDuration(
      std::string_view name, std::chrono::milliseconds fallback) const;
  // A clinic's UTC offset as ParseUtcOffset (time_util.h) reads it: "+07:00" or WIB, WITA, WIT.
  // `fallback` is returned as given when the variable is not set.
  [[nodiscard]] std::chrono::minutes UtcOffset(std::string_view name,
                                               std::chrono::minutes fallback) const;
  // A secret given directly or as a path in <name>_FILE; never echoed in errors or logs.
  [[nodiscard]] std::string Secret(std::string_view name) const;

  // Every KLINIK_KAFKA_* value as a librdkafka property (lower case, '_' -> '.').
  [[nodiscard]] std::map<std::string, std::string> KafkaProperties() const;

  // Throws ConfigError naming the first command-line flag no code asked for (a typo would
  // otherwise be silently ignored). Unknown environment variables are allowed: a deployment
  // may share one environment between services.
  void RejectUnknownFlags() const;

  // True when --help was given; callers print Describe() and exit 0.
  [[nodiscard]] bool HelpRequested() const { return help_; }
  // One line per variable read so far, with its value (secrets masked).
  [[nodiscard]] std::string Describe() const;

 private:
  const std::string* Find(std::string_view name) const;
  static std::string FlagToName(std::string_view flag);

  std::map<std::string, std::string, std::less<>> values_;
  std::set<std::string, std::less<>> from_flags_;
  mutable std::set<std::string, std::less<>> read_;
  bool help_ = false;
};

// Parses "250ms", "30s", "5m", "72h", "90d" (at most a century, 36500d); nullopt-like failure is
// reported by throwing std::invalid_argument with a hint.
std::chrono::milliseconds ParseDuration(std::string_view text);

}  // namespace klinik
