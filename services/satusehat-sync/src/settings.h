// Configuration of the sync service, read and validated once at start (a bad value is a
// ConfigError naming the variable). The client secret is read through Config::Secret and is
// never logged or echoed.
#pragma once

#include <chrono>
#include <string>

#include "fhir_mapping.h"
#include "klinik/config.h"

namespace satusehat_sync {

struct Settings {
  std::string auth_url;       // KLINIK_SATUSEHAT_AUTH_URL: OAuth base, …/oauth2/v1
  std::string fhir_url;       // KLINIK_SATUSEHAT_FHIR_URL: FHIR base, …/fhir-r4/v1
  fhir::FhirSite site;        // KLINIK_SATUSEHAT_ORG_ID, KLINIK_SATUSEHAT_LOCATION_ID
  std::string client_id;      // KLINIK_SATUSEHAT_CLIENT_ID
  std::string client_secret;  // KLINIK_SATUSEHAT_CLIENT_SECRET or _FILE
  double rate = 10;           // KLINIK_SATUSEHAT_RATE: requests per second, all kinds together
  std::chrono::milliseconds timeout{10000};  // KLINIK_SATUSEHAT_TIMEOUT: one HTTP exchange
  std::chrono::milliseconds login_cooldown{
      60000};                // KLINIK_SATUSEHAT_LOGIN_COOLDOWN: after a refused login
  int circuit_failures = 5;  // KLINIK_SATUSEHAT_CIRCUIT_FAILURES
  std::chrono::milliseconds circuit_open{30000};     // KLINIK_SATUSEHAT_CIRCUIT_OPEN
  int max_attempts = 10;                             // KLINIK_SYNC_MAX_ATTEMPTS
  std::chrono::milliseconds backoff_initial{1000};   // KLINIK_SYNC_BACKOFF_INITIAL
  std::chrono::milliseconds backoff_max{600000};     // KLINIK_SYNC_BACKOFF_MAX
  std::chrono::milliseconds patient_retry{3600000};  // KLINIK_SYNC_PATIENT_RETRY
  std::chrono::milliseconds poll_interval{500};      // KLINIK_SYNC_POLL_INTERVAL
  std::chrono::milliseconds lease{300000};           // KLINIK_SYNC_LEASE: in_flight claim lifetime
  int workers = 1;                                   // KLINIK_SYNC_WORKERS: push threads

  static Settings FromConfig(const klinik::Config& config);
};

}  // namespace satusehat_sync
