#include "settings.h"

namespace satusehat_sync {
namespace {

std::string BaseUrl(const klinik::Config& config, std::string_view name,
                    std::string_view fallback) {
  std::string url = config.String(name, fallback);
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    throw klinik::ConfigError(std::string(name) + ": expected an http:// or https:// URL");
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string Id(const klinik::Config& config, std::string_view name) {
  std::string id = config.RequiredString(name);
  if (id.empty() || id.find_first_of("/?#| ") != std::string::npos) {
    throw klinik::ConfigError(std::string(name) +
                              ": expected a SatuSehat id without '/', '?', '#', '|' or spaces");
  }
  return id;
}

}  // namespace

Settings Settings::FromConfig(const klinik::Config& config) {
  Settings s;
  s.auth_url = BaseUrl(config, "KLINIK_SATUSEHAT_AUTH_URL",
                       "https://api-satusehat-stg.dto.kemkes.go.id/oauth2/v1");
  s.fhir_url = BaseUrl(config, "KLINIK_SATUSEHAT_FHIR_URL",
                       "https://api-satusehat-stg.dto.kemkes.go.id/fhir-r4/v1");
  s.site.org_id = Id(config, "KLINIK_SATUSEHAT_ORG_ID");
  s.site.location_id = Id(config, "KLINIK_SATUSEHAT_LOCATION_ID");
  s.client_id = config.RequiredString("KLINIK_SATUSEHAT_CLIENT_ID");
  s.client_secret = config.Secret("KLINIK_SATUSEHAT_CLIENT_SECRET");
  s.rate = config.Double("KLINIK_SATUSEHAT_RATE", 10, 0.1, 10000);
  s.timeout = config.PositiveDuration("KLINIK_SATUSEHAT_TIMEOUT", s.timeout);
  s.login_cooldown = config.PositiveDuration("KLINIK_SATUSEHAT_LOGIN_COOLDOWN", s.login_cooldown);
  s.circuit_failures =
      static_cast<int>(config.Int("KLINIK_SATUSEHAT_CIRCUIT_FAILURES", 5, 1, 1000));
  s.circuit_open = config.PositiveDuration("KLINIK_SATUSEHAT_CIRCUIT_OPEN", s.circuit_open);
  s.max_attempts = static_cast<int>(config.Int("KLINIK_SYNC_MAX_ATTEMPTS", 10, 1, 1000));
  s.backoff_initial = config.PositiveDuration("KLINIK_SYNC_BACKOFF_INITIAL", s.backoff_initial);
  s.backoff_max = config.PositiveDuration("KLINIK_SYNC_BACKOFF_MAX", s.backoff_max);
  if (s.backoff_max < s.backoff_initial) {
    throw klinik::ConfigError(
        "KLINIK_SYNC_BACKOFF_MAX: must not be less than KLINIK_SYNC_BACKOFF_INITIAL");
  }
  s.patient_retry = config.PositiveDuration("KLINIK_SYNC_PATIENT_RETRY", s.patient_retry);
  s.poll_interval = config.PositiveDuration("KLINIK_SYNC_POLL_INTERVAL", s.poll_interval);
  s.lease = config.PositiveDuration("KLINIK_SYNC_LEASE", s.lease);
  // A job makes up to four exchanges (token, patient, practitioner, the resource); a lease
  // shorter than that would let another replica take a job that is still being sent.
  if (s.lease < 4 * s.timeout) {
    throw klinik::ConfigError("KLINIK_SYNC_LEASE: must be at least 4 x KLINIK_SATUSEHAT_TIMEOUT");
  }
  s.workers = static_cast<int>(config.Int("KLINIK_SYNC_WORKERS", 1, 1, 64));
  return s;
}

}  // namespace satusehat_sync
