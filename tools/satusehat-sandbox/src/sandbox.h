// The SatuSehat emulation behind the HTTP server: one Handle() call per request, from any of
// the server's threads. It holds no socket, so unit tests drive it with plain structs, and the
// same code answers the real binary (http_server.h only moves bytes).
//
//   Sandbox sandbox({.org_id = "10000004", .client_id = "id", .client_secret = "s"});
//   HttpResponse r = sandbox.Handle({.method = "GET", .path = "/_sandbox/stats"});
//
// Invariants: every answer carries X-Request-Id; a status fault answers before anything is
// stored; a transaction stores all of its entries or none; requests under /_sandbox/ (the
// control API) need no token, are never faulted and are not counted in the stats.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "fault_plan.h"
#include "klinik/time_util.h"
#include "resource_store.h"

namespace klinik::sandbox {

struct SandboxOptions {
  std::string org_id = "10000004";
  std::string client_id;
  std::string client_secret;
  std::chrono::seconds token_ttl{3599};
};

struct HttpRequest {
  std::string method;
  std::string path;   // without the query string, not decoded
  std::string query;  // raw, without '?'
  std::string body;
  std::map<std::string, std::string> headers;  // names in lower case
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Splits "a=1&b=x%7Cy" into decoded pairs ('+' is a space, as in forms).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query);
[[nodiscard]] std::string UrlDecode(std::string_view text);

struct TransactionEntry;  // one write of a transaction bundle (sandbox.cc)

class Sandbox {
 public:
  using ClockFn = std::function<TimePoint()>;
  explicit Sandbox(
      SandboxOptions options, ClockFn clock = [] { return Clock::now(); });

  // Answers one request; blocks for the delay of a slow or timeout_after_store fault (Stop()
  // cuts the wait short). Thread-safe.
  [[nodiscard]] HttpResponse Handle(const HttpRequest& request);
  // Adds a person to the national index (seed file, control API).
  void Seed(const Person& person);
  // Releases every request waiting in a fault delay; later delays return at once.
  void Stop();

 private:
  struct Outcome {
    HttpResponse response;
    bool stored = false;  // the request created or updated at least one resource
  };

  HttpResponse HandleControl(const HttpRequest& request);
  // The control API's endpoints (HandleControl routes to them).
  HttpResponse SeedIndex(const HttpRequest& request);
  HttpResponse HandleFaults(const HttpRequest& request);
  HttpResponse ListResources(const HttpRequest& request);
  HttpResponse Reset();
  HttpResponse HandleApi(const HttpRequest& request);
  HttpResponse HandleToken(const HttpRequest& request);
  Outcome HandleFhir(const HttpRequest& request);
  Outcome Create(const std::string& type, const nlohmann::json& body);
  Outcome Update(const std::string& type, const std::string& id, const nlohmann::json& body);
  HttpResponse Read(const std::string& type, const std::string& id);
  HttpResponse Search(const HttpRequest& request, const std::string& type);
  HttpResponse SearchPerson(const HttpRequest& request, PersonKind kind);
  Outcome Transaction(const nlohmann::json& bundle);
  // Applies a transaction's writes to `staged` (a copy of the store) at `now`; returns the
  // entries' responses and adds an issue for each write that cannot be applied.
  nlohmann::json StageTransaction(ResourceStore& staged,
                                  const std::vector<TransactionEntry>& entries, TimePoint now,
                                  std::vector<Issue>& issues) const;
  // Issues for a duplicate of the unique identifier in `store` (rule 20002), ignoring `self_id`.
  std::vector<Issue> DuplicateIssues(const ResourceStore& store, const std::string& type,
                                     const nlohmann::json& resource,
                                     const std::string& self_id) const;
  // Empty when the bearer token is valid; otherwise the 401 to send.
  std::optional<HttpResponse> CheckToken(const HttpRequest& request);
  // Waits up to `delay`; false when Stop() interrupted it.
  bool Delay(std::chrono::milliseconds delay);
  nlohmann::json Stats() const;

  const SandboxOptions options_;
  const ClockFn clock_;

  mutable std::mutex mutex_;  // guards everything below
  ResourceStore store_;
  FaultPlan faults_;
  std::map<std::string, TimePoint> tokens_;  // access token -> expiry
  std::map<int, int64_t> requests_by_status_;
  int64_t tokens_issued_ = 0;
  int64_t faults_injected_ = 0;

  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
};

}  // namespace klinik::sandbox
