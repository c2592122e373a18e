// What sending one sync job came to (push_step.h), recorded by SyncWorker.
#pragma once

#include <optional>
#include <string>

#include "policies.h"

namespace satusehat_sync {

// What sending one job came to.
struct PushOutcome {
  enum class Kind { kSynced, kSuppressed, kWaiting, kPermanent, kTransient };
  Kind kind = Kind::kTransient;
  std::string satusehat_id;
  std::string reason;       // UPPER_SNAKE code; empty when synced
  std::string diagnostics;  // redacted OperationOutcome text or a short explanation
  int http_status = 0;
  std::string request_id;  // X-Request-Id of the last answer
  std::optional<Millis> retry_after;
  bool sent = false;          // a request for the resource itself went out (counts as an attempt)
  bool maybe_stored = false;  // a create may have been stored although no answer said so
  bool server_down = false;   // 5xx / no answer: counts against the circuit
  bool server_answered = false;
};

}  // namespace satusehat_sync
