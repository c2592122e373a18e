// SatuSehatClient: HTTP to the SatuSehat gateway over libcurl. One client per worker thread: its
// curl handle keeps the connection alive between requests, verifies TLS for https, and is not
// shared. The OAuth token is shared by all clients of a process (TokenProvider) and renewed
// before it expires or once after a 401; a refused login is not repeated before the cooldown
// (the gateway allows about one token request a minute after a failure). Every request first
// takes a token from the process-wide rate limiter. Failures are logged with X-Request-Id;
// NIKs in query strings never reach the log.
#pragma once

#include <curl/curl.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "fhir_client.h"
#include "policies.h"
#include "settings.h"

namespace klinik {
class Metrics;
}

namespace satusehat_sync {

// Metrics the client records.
struct ClientMetrics {
  prometheus::Family<prometheus::Counter>* responses =
      nullptr;                                     // klinik_satusehat_responses_total{code}
  prometheus::Counter* token_refreshes = nullptr;  // klinik_satusehat_token_refreshes_total
  static ClientMetrics Register(klinik::Metrics& metrics);
  void Response(const std::string& code) const;
};

class Curl;

// Shared OAuth token and request rate of one process.
class TokenProvider {
 public:
  TokenProvider(const Settings& settings, ClientMetrics metrics);
  // A valid token, logging in with `curl` when needed; nullopt when the login failed (then
  // `failure` tells why).
  std::optional<std::string> Get(Curl& curl, HttpResponse* failure);
  // The server refused `token`: forget it so the next Get logs in again.
  void Invalidate(const std::string& token);
  // Waits for a slot of the request rate limit.
  void Throttle();

 private:
  const Settings& settings_;
  ClientMetrics metrics_;
  std::mutex mutex_;
  std::string token_;
  SteadyTime renew_at_{};
  SteadyTime login_blocked_until_{};
  HttpResponse last_login_failure_;
  TokenBucket bucket_;
};

// The FhirClient of the running service.
class SatuSehatClient final : public FhirClient {
 public:
  SatuSehatClient(const Settings& settings, TokenProvider& tokens, ClientMetrics metrics);
  ~SatuSehatClient() override;
  SatuSehatClient(const SatuSehatClient&) = delete;
  SatuSehatClient& operator=(const SatuSehatClient&) = delete;

  HttpResponse Get(const std::string& path) override;
  HttpResponse Post(const std::string& path, const nlohmann::json& body) override;
  HttpResponse Put(const std::string& path, const nlohmann::json& body) override;

 private:
  HttpResponse Send(const std::string& method, const std::string& path, const std::string* body);

  const Settings& settings_;
  TokenProvider& tokens_;
  ClientMetrics metrics_;
  std::unique_ptr<Curl> curl_;
};

}  // namespace satusehat_sync
