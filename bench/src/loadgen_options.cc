#include "loadgen_options.h"

#include <cstdlib>
#include <exception>

namespace loadgen {

std::optional<LoadgenOptions> ParseLoadgenOptions(const std::vector<std::string>& args,
                                                  std::string* error) {
  LoadgenOptions o;
  if (const char* env = std::getenv("KLINIK_KAFKA_BOOTSTRAP_SERVERS"); env && *env)
    o.bootstrap = env;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    if (auto eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      *error = flag + ": missing value";
      return std::nullopt;
    }
    try {
      if (flag == "--bootstrap") {
        o.bootstrap = value;
      } else if (flag == "--kind") {
        o.kind = value;
      } else if (flag == "--topic") {
        o.topic = value;
      } else if (flag == "--count") {
        o.count = std::stoll(value);
      } else if (flag == "--rate") {
        o.rate = std::stod(value);
      } else if (flag == "--duration") {
        o.duration = std::stod(value);
      } else if (flag == "--seed") {
        o.seed = std::stoull(value);
      } else if (flag == "--first") {
        o.first = std::stoll(value);
      } else if (flag == "--population") {
        o.population = std::stoll(value);
      } else if (flag == "--clinics") {
        o.clinics = std::stoi(value);
      } else if (flag == "--create-topic") {
        o.create_topic = std::stoi(value);
      } else {
        *error = flag + ": unknown flag (see bench/README.md)";
        return std::nullopt;
      }
    } catch (const std::exception&) {
      *error = flag + ": not a number: " + value;
      return std::nullopt;
    }
  }
  if (o.bootstrap.empty()) o.bootstrap = "127.0.0.1:9092";
  if (o.kind != "registration" && o.kind != "screening" && o.kind != "pharmacy") {
    *error = "--kind: one of registration, screening, pharmacy";
    return std::nullopt;
  }
  if (o.count < 0 || o.rate < 0 || o.duration < 0 || o.first < 0 || o.population < 0 ||
      o.clinics < 1 || o.create_topic < 0) {
    *error = "--count, --rate, --duration, --first, --population, --clinics: must not be negative";
    return std::nullopt;
  }
  if (o.count == 0 && (o.rate <= 0 || o.duration <= 0)) {
    *error = "--count N, or --rate R with --duration S, is required";
    return std::nullopt;
  }
  return o;
}

int64_t PlannedCount(const LoadgenOptions& o) {
  if (o.count > 0) return o.count;
  return static_cast<int64_t>(o.rate * o.duration);
}

}  // namespace loadgen
