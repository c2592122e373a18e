#include "options.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <nlohmann/json.hpp>

namespace klinik::sandbox {
namespace {

constexpr std::array<std::string_view, 10> kFlags = {
    "listen",    "ports-file", "org-id",  "client-id", "client-secret", "client-secret-file",
    "token-ttl", "seed-file",  "threads", "log-level"};

bool ValidListen(std::string_view listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  std::string_view port = listen.substr(colon + 1);
  int value = -1;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  return ec == std::errc() && end == port.data() + port.size() && value >= 0 && value <= 65535;
}

}  // namespace

std::vector<std::string> NormalizeArgs(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const std::string& arg : args) {
    if (!arg.starts_with("--") || arg == "--help") {
      out.push_back(arg);  // values of "--flag value" and --help pass through
      continue;
    }
    std::string body = arg.substr(2);
    std::string name = body.substr(0, body.find('='));
    if (name.starts_with("sandbox-")) name = name.substr(8);
    if (std::find(kFlags.begin(), kFlags.end(), name) == kFlags.end()) {
      throw ConfigError("--" + name + ": unknown flag (see --help)");
    }
    out.push_back("--sandbox-" + (body.starts_with("sandbox-") ? body.substr(8) : body));
  }
  return out;
}

Options ReadOptions(const Config& config) {
  Options o;
  o.listen = config.String("KLINIK_SANDBOX_LISTEN", o.listen);
  if (!ValidListen(o.listen)) {
    throw ConfigError("KLINIK_SANDBOX_LISTEN: expected HOST:PORT such as 127.0.0.1:0, got '" +
                      o.listen + "'");
  }
  o.ports_file = config.String("KLINIK_SANDBOX_PORTS_FILE", config.String("KLINIK_PORTS_FILE", ""));
  o.seed_file = config.String("KLINIK_SANDBOX_SEED_FILE", "");
  o.threads = static_cast<int>(config.Int("KLINIK_SANDBOX_THREADS", o.threads, 2, 256));
  o.log_level = config.String("KLINIK_SANDBOX_LOG_LEVEL", o.log_level);
  o.sandbox.org_id = config.String("KLINIK_SANDBOX_ORG_ID", o.sandbox.org_id);
  if (o.sandbox.org_id.empty() || o.sandbox.org_id.find('/') != std::string::npos) {
    throw ConfigError("KLINIK_SANDBOX_ORG_ID: must be a non-empty organization id without '/'");
  }
  o.sandbox.client_id = config.String("KLINIK_SANDBOX_CLIENT_ID", kDefaultClientId);
  if (o.sandbox.client_id.empty()) throw ConfigError("KLINIK_SANDBOX_CLIENT_ID: must not be empty");
  bool secret_given =
      config.Has("KLINIK_SANDBOX_CLIENT_SECRET") || config.Has("KLINIK_SANDBOX_CLIENT_SECRET_FILE");
  o.sandbox.client_secret = secret_given ? config.Secret("KLINIK_SANDBOX_CLIENT_SECRET")
                                         : std::string(kDefaultClientSecret);
  o.sandbox.token_ttl =
      std::chrono::seconds(config.Int("KLINIK_SANDBOX_TOKEN_TTL", 3599, 1, 86400));
  return o;
}

std::vector<Person> LoadSeedFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("KLINIK_SANDBOX_SEED_FILE: cannot read '" + path + "'");
  nlohmann::json list = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!list.is_array()) {
    throw ConfigError("KLINIK_SANDBOX_SEED_FILE: '" + path +
                      "' must hold a JSON array of {kind, nik, ihs}");
  }
  std::vector<Person> people;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string error;
    auto person = ParsePerson(list[i], &error);
    if (!person) {
      throw ConfigError("KLINIK_SANDBOX_SEED_FILE: entry " + std::to_string(i) + " of '" + path +
                        "': " + error);
    }
    people.push_back(*person);
  }
  return people;
}

}  // namespace klinik::sandbox
