// Persistence of referrals, their history and their open reason codes, on both storage backends.
// Every function runs inside the caller's transaction, so a handler's state change, its history
// rows and its outbox facts commit together.
//
// "One open referral per patient and reason" holds in the database too: referral_reasons has a
// unique index on (patient_id, reason_code) over open rows, so two replicas racing to open the
// same referral cannot both win (the loser gets kUniqueViolation, retries, and joins).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "klinik/storage.h"
#include "referral_lifecycle.h"

namespace referral::store {

const std::vector<klinik::Migration>& Migrations();

// `for_update` locks the row (PostgreSQL) against a concurrent handler or SLA check.
std::optional<Referral> Load(klinik::Transaction& tx, const std::string& referral_id,
                             bool for_update);
// The patient's open referrals, oldest first, locked.
std::vector<Referral> OpenForPatient(klinik::Transaction& tx, const std::string& patient_id);
void Insert(klinik::Transaction& tx, const Referral& referral);
// Writes every mutable column and keeps referral_reasons in step (new codes, open flag).
void Update(klinik::Transaction& tx, const Referral& referral);
void AppendHistory(klinik::Transaction& tx, const std::string& referral_id,
                   const std::vector<Step>& steps);
std::vector<Step> History(klinik::Transaction& tx, const std::string& referral_id);

// Requests that opened or joined a referral, by an idempotency key (origin + request_id, or the
// screening id): the referral they went to, if any.
std::optional<std::string> FindRequest(klinik::Transaction& tx, const std::string& key);
void RecordRequest(klinik::Transaction& tx, const std::string& key, const std::string& referral_id);
// True when this referral already took a step of `kind` for `request_id` (an app's re-send).
bool StepSeen(klinik::Transaction& tx, const std::string& referral_id,
              const std::string& request_id, StepKind kind);

// Ids of referrals whose validity ended or whose unanswered deadline passed and was not yet
// escalated, at `now`; oldest deadline first, at most `limit`.
std::vector<std::string> DueForTimers(klinik::Transaction& tx, TimePoint now, int limit);

struct ListQuery {
  std::string patient_id;
  std::string origin_clinic_id;
  std::string target_facility_id;
  Status status = Status::kUnspecified;
  int limit = 50;
  // Keyset cursor: the last row of the previous page (newest requested_at first).
  std::optional<int64_t> after_requested_at_ms;
  std::string after_referral_id;
};
// Up to `limit` + 1 rows, so the caller knows whether another page follows.
std::vector<Referral> List(klinik::Transaction& tx, const ListQuery& query);

}  // namespace referral::store
