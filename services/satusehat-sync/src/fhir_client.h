// FhirClient: the three calls a sync job makes on SatuSehat's FHIR API — GET (a search by
// identifier), POST (a create) and PUT (a full update) — so the push step (push_step.h) can be
// driven by a scripted fake in unit tests. SatuSehatClient is the real one; it owns the OAuth
// token, the rate limit and the one retry after a 401, so an answer it returns is final.
//
//   HttpResponse r = client.Get("Patient?identifier=" + FhirClient::Escape(system + "|" + nik));
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "policies.h"

namespace satusehat_sync {

struct HttpResponse {
  bool transport_failed = false;  // no HTTP answer: refused connection, timeout, TLS error
  bool maybe_sent = false;        // the request may have reached the server (ambiguous)
  int status = 0;
  std::string body;
  nlohmann::json json;     // parsed body; null when not JSON
  std::string request_id;  // X-Request-Id response header
  std::optional<Millis> retry_after;
  std::string error;  // curl's text when transport_failed
};

class FhirClient {
 public:
  virtual ~FhirClient() = default;

  // `path` is relative to the FHIR base, e.g. "Encounter" or "Patient?identifier=…" (the
  // caller escapes query values with Escape()).
  virtual HttpResponse Get(const std::string& path) = 0;
  virtual HttpResponse Post(const std::string& path, const nlohmann::json& body) = 0;
  virtual HttpResponse Put(const std::string& path, const nlohmann::json& body) = 0;

  // Percent-encodes a query value.
  static std::string Escape(const std::string& value);
};

}  // namespace satusehat_sync
