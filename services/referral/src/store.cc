#include "store.h"

#include <nlohmann/json.hpp>

namespace referral::store {
namespace {

using klinik::FromUnixMillis;
using klinik::Params;
using klinik::Row;
using klinik::ToUnixMillis;
using klinik::Transaction;

constexpr const char* kColumns =
    "referral_id, patient_id, origin_clinic_id, target_facility_id, target_facility_kind, "
    "direction, urgency, "
    "status, reason_codes, icd10, note, requested_by, request_id, source_screening_id, "
    "requested_at_ms, "
    "created_at_ms, updated_at_ms, valid_until_ms, acceptance_deadline_ms, sent_at_ms, "
    "accepted_at_ms, "
    "overdue_notified, back_referral_notes, follow_up_instructions";

std::string ToJson(const std::vector<std::string>& list) { return nlohmann::json(list).dump(); }

std::vector<std::string> FromJson(const std::string& text) {
  if (text.empty()) return {};
  return nlohmann::json::parse(text).get<std::vector<std::string>>();
}

klinik::Value OptMillis(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return ToUnixMillis(*t);
}

Referral FromRow(const Row& row) {
  Referral r;
  r.referral_id = row.Text(0);
  r.patient_id = row.Text(1);
  r.origin_clinic_id = row.Text(2);
  r.target_facility_id = row.Text(3);
  r.target_facility_kind = static_cast<int>(row.Int(4));
  r.direction = static_cast<int>(row.Int(5));
  r.urgency = static_cast<Urgency>(row.Int(6));
  r.status = static_cast<Status>(row.Int(7));
  r.reason_codes = FromJson(row.Text(8));
  r.icd10 = FromJson(row.Text(9));
  r.note = row.Text(10);
  r.requested_by = row.Text(11);
  r.request_id = row.Text(12);
  r.source_screening_id = row.Text(13);
  r.requested_at = FromUnixMillis(row.Int(14));
  r.created_at = FromUnixMillis(row.Int(15));
  r.updated_at = FromUnixMillis(row.Int(16));
  r.valid_until = FromUnixMillis(row.Int(17));
  r.acceptance_deadline = FromUnixMillis(row.Int(18));
  if (auto v = row.OptInt(19)) r.sent_at = FromUnixMillis(*v);
  if (auto v = row.OptInt(20)) r.accepted_at = FromUnixMillis(*v);
  r.overdue_notified = row.Int(21) != 0;
  r.back_referral_notes = row.Text(22);
  r.follow_up_instructions = row.Text(23);
  return r;
}

// Keeps one referral_reasons row per code; all of them open while the referral is.
void SyncReasons(Transaction& tx, const Referral& r) {
  int64_t open = IsOpen(r.status) ? 1 : 0;
  for (const std::string& code : r.reason_codes) {
    tx.Execute(
        "INSERT INTO referral_reasons (referral_id, reason_code, patient_id, is_open) VALUES ($1, "
        "$2, $3, $4) "
        "ON CONFLICT (referral_id, reason_code) DO UPDATE SET is_open = excluded.is_open",
        {r.referral_id, code, r.patient_id, open});
  }
}

}  // namespace

const std::vector<klinik::Migration>& Migrations() {
  static const std::vector<klinik::Migration> kMigrations = {
      {1, "referrals",
       R"sql(
CREATE TABLE referrals (
  referral_id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL,
  origin_clinic_id TEXT NOT NULL,
  target_facility_id TEXT NOT NULL,
  target_facility_kind INTEGER NOT NULL,
  direction INTEGER NOT NULL,
  urgency INTEGER NOT NULL,
  status INTEGER NOT NULL,
  reason_codes TEXT NOT NULL,
  icd10 TEXT NOT NULL,
  note TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  request_id TEXT NOT NULL,
  source_screening_id TEXT NOT NULL,
  requested_at_ms BIGINT NOT NULL,
  created_at_ms BIGINT NOT NULL,
  updated_at_ms BIGINT NOT NULL,
  valid_until_ms BIGINT NOT NULL,
  acceptance_deadline_ms BIGINT NOT NULL,
  sent_at_ms BIGINT,
  accepted_at_ms BIGINT,
  overdue_notified INTEGER NOT NULL,
  back_referral_notes TEXT NOT NULL,
  follow_up_instructions TEXT NOT NULL
);
CREATE INDEX referrals_by_patient ON referrals (patient_id, requested_at_ms, referral_id);
CREATE INDEX referrals_by_origin ON referrals (origin_clinic_id, requested_at_ms, referral_id);
CREATE INDEX referrals_by_target ON referrals (target_facility_id, requested_at_ms, referral_id);
CREATE INDEX referrals_awaiting_answer ON referrals (acceptance_deadline_ms)
  WHERE overdue_notified = 0 AND status IN (1, 2);
CREATE INDEX referrals_open_validity ON referrals (valid_until_ms) WHERE status IN (1, 2, 3, 4, 5);
CREATE TABLE referral_reasons (
  referral_id TEXT NOT NULL,
  reason_code TEXT NOT NULL,
  patient_id TEXT NOT NULL,
  is_open INTEGER NOT NULL,
  PRIMARY KEY (referral_id, reason_code)
);
CREATE UNIQUE INDEX referral_reasons_one_open ON referral_reasons (patient_id, reason_code) WHERE is_open = 1;
CREATE TABLE referral_history (
  referral_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  from_status INTEGER NOT NULL,
  to_status INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  acted_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  note TEXT NOT NULL,
  at_ms BIGINT NOT NULL,
  PRIMARY KEY (referral_id, seq)
);
CREATE INDEX referral_history_by_request ON referral_history (referral_id, request_id);
CREATE TABLE referral_requests (
  request_key TEXT PRIMARY KEY,
  referral_id TEXT NOT NULL
);
)sql"},
  };
  return kMigrations;
}

std::optional<Referral> Load(Transaction& tx, const std::string& referral_id, bool for_update) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM referrals WHERE referral_id = $1";
  if (for_update) sql += tx.ForUpdate();
  auto rows = tx.Query(sql, {referral_id});
  if (rows.empty()) return std::nullopt;
  return FromRow(rows.front());
}

std::vector<Referral> OpenForPatient(Transaction& tx, const std::string& patient_id) {
  std::string sql = std::string("SELECT ") + kColumns +
                    " FROM referrals WHERE patient_id = $1 AND status IN (1, 2, 3, 4, 5)"
                    " ORDER BY created_at_ms, referral_id" +
                    std::string(tx.ForUpdate());
  std::vector<Referral> out;
  for (const Row& row : tx.Query(sql, {patient_id})) out.push_back(FromRow(row));
  return out;
}

namespace {
Params RowParams(const Referral& r) {
  return {r.referral_id,
          r.patient_id,
          r.origin_clinic_id,
          r.target_facility_id,
          static_cast<int64_t>(r.target_facility_kind),
          static_cast<int64_t>(r.direction),
          static_cast<int64_t>(r.urgency),
          static_cast<int64_t>(r.status),
          ToJson(r.reason_codes),
          ToJson(r.icd10),
          r.note,
          r.requested_by,
          r.request_id,
          r.source_screening_id,
          ToUnixMillis(r.requested_at),
          ToUnixMillis(r.created_at),
          ToUnixMillis(r.updated_at),
          ToUnixMillis(r.valid_until),
          ToUnixMillis(r.acceptance_deadline),
          OptMillis(r.sent_at),
          OptMillis(r.accepted_at),
          static_cast<int64_t>(r.overdue_notified ? 1 : 0),
          r.back_referral_notes,
          r.follow_up_instructions};
}
}  // namespace

void Insert(Transaction& tx, const Referral& r) {
  tx.Execute(std::string("INSERT INTO referrals (") + kColumns +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
                 "$17, $18, "
                 "$19, $20, $21, $22, $23, $24)",
             RowParams(r));
  SyncReasons(tx, r);
}

void Update(Transaction& tx, const Referral& r) {
  tx.Execute(
      "UPDATE referrals SET patient_id = $2, origin_clinic_id = $3, target_facility_id = $4, "
      "target_facility_kind = $5, direction = $6, urgency = $7, status = $8, reason_codes = $9, "
      "icd10 = $10, "
      "note = $11, requested_by = $12, request_id = $13, source_screening_id = $14, "
      "requested_at_ms = $15, "
      "created_at_ms = $16, updated_at_ms = $17, valid_until_ms = $18, acceptance_deadline_ms = "
      "$19, "
      "sent_at_ms = $20, accepted_at_ms = $21, overdue_notified = $22, back_referral_notes = $23, "
      "follow_up_instructions = $24 WHERE referral_id = $1",
      RowParams(r));
  SyncReasons(tx, r);
}

void AppendHistory(Transaction& tx, const std::string& referral_id,
                   const std::vector<Step>& steps) {
  auto rows = tx.Query("SELECT COALESCE(MAX(seq), 0) FROM referral_history WHERE referral_id = $1",
                       {referral_id});
  int64_t seq = rows.empty() ? 0 : rows.front().Int(0);
  for (const Step& s : steps) {
    tx.Execute(
        "INSERT INTO referral_history (referral_id, seq, kind, from_status, to_status, request_id, "
        "acted_by, "
        "reason, note, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {referral_id, ++seq, static_cast<int64_t>(s.kind), static_cast<int64_t>(s.from),
         static_cast<int64_t>(s.to), s.request_id, s.acted_by, s.reason, s.note,
         ToUnixMillis(s.at)});
  }
}

std::vector<Step> History(Transaction& tx, const std::string& referral_id) {
  std::vector<Step> out;
  for (const Row& row :
       tx.Query("SELECT kind, from_status, to_status, request_id, acted_by, reason, note, at_ms "
                "FROM referral_history WHERE referral_id = $1 ORDER BY seq",
                {referral_id})) {
    Step s;
    s.kind = static_cast<StepKind>(row.Int(0));
    s.from = static_cast<Status>(row.Int(1));
    s.to = static_cast<Status>(row.Int(2));
    s.request_id = row.Text(3);
    s.acted_by = row.Text(4);
    s.reason = row.Text(5);
    s.note = row.Text(6);
    s.at = FromUnixMillis(row.Int(7));
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> FindRequest(Transaction& tx, const std::string& key) {
  auto rows = tx.Query("SELECT referral_id FROM referral_requests WHERE request_key = $1", {key});
  if (rows.empty()) return std::nullopt;
  return rows.front().Text(0);
}

void RecordRequest(Transaction& tx, const std::string& key, const std::string& referral_id) {
  tx.Execute("INSERT INTO referral_requests (request_key, referral_id) VALUES ($1, $2)",
             {key, referral_id});
}

bool StepSeen(Transaction& tx, const std::string& referral_id, const std::string& request_id,
              StepKind kind) {
  return !tx.Query(
                "SELECT 1 FROM referral_history WHERE referral_id = $1 AND request_id = $2 AND "
                "kind = $3",
                {referral_id, request_id, static_cast<int64_t>(kind)})
              .empty();
}

std::vector<std::string> DueForTimers(Transaction& tx, TimePoint now, int limit) {
  int64_t now_ms = ToUnixMillis(now);
  std::vector<std::string> out;
  // Expiries first: a referral past its validity expires rather than escalates.
  for (const Row& row :
       tx.Query("SELECT referral_id FROM referrals WHERE status IN (1, 2, 3, 4, 5) "
                "AND valid_until_ms <= $1 ORDER BY valid_until_ms LIMIT $2",
                {now_ms, static_cast<int64_t>(limit)})) {
    out.push_back(row.Text(0));
  }
  for (const Row& row : tx.Query("SELECT referral_id FROM referrals WHERE status IN (1, 2) "
                                 "AND overdue_notified = 0 AND acceptance_deadline_ms < $1 "
                                 "ORDER BY acceptance_deadline_ms LIMIT $2",
                                 {now_ms, static_cast<int64_t>(limit)})) {
    out.push_back(row.Text(0));
  }
  return out;
}

std::vector<Referral> List(Transaction& tx, const ListQuery& q) {
  std::string sql = std::string("SELECT ") + kColumns + " FROM referrals WHERE 1 = 1";
  Params params;
  auto add = [&](const std::string& clause, klinik::Value v) {
    params.push_back(std::move(v));
    sql += " AND " + clause + " $" + std::to_string(params.size());
  };
  if (!q.patient_id.empty()) add("patient_id =", q.patient_id);
  if (!q.origin_clinic_id.empty()) add("origin_clinic_id =", q.origin_clinic_id);
  if (!q.target_facility_id.empty()) add("target_facility_id =", q.target_facility_id);
  if (q.status != Status::kUnspecified) add("status =", static_cast<int64_t>(q.status));
  if (q.after_requested_at_ms) {
    params.push_back(*q.after_requested_at_ms);
    std::string a = "$" + std::to_string(params.size());
    params.push_back(q.after_referral_id);
    std::string b = "$" + std::to_string(params.size());
    sql += " AND (requested_at_ms < " + a + " OR (requested_at_ms = " + a + " AND referral_id < " +
           b + "))";
  }
  params.push_back(static_cast<int64_t>(q.limit + 1));
  sql += " ORDER BY requested_at_ms DESC, referral_id DESC LIMIT $" + std::to_string(params.size());
  std::vector<Referral> out;
  for (const Row& row : tx.Query(sql, params)) out.push_back(FromRow(row));
  return out;
}

}  // namespace referral::store
