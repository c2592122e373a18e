#include "store.h"

#include <stdexcept>

namespace screening::store {
namespace {

klinik::v1::Screening ParseRecord(const klinik::Row& row, size_t column) {
  klinik::v1::Screening s;
  if (!s.ParseFromString(row.Text(column))) {
    throw klinik::StorageError(klinik::StorageErrorKind::kPermanent,
                               "screenings.record is not a klinik.v1.Screening");
  }
  return s;
}

int64_t MeasuredAtMs(const klinik::v1::Screening& s) {
  // Floored, as the cursor of ListScreenings has always counted; saturated like every instant.
  return klinik::ToUnixMillis(
      std::chrono::floor<std::chrono::milliseconds>(klinik::FromTimestamp(s.measured_at())));
}

}  // namespace

const std::vector<klinik::Migration>& Migrations() {
  static const std::vector<klinik::Migration> kMigrations = {
      {1, "screenings and findings",
       "CREATE TABLE screenings ("
       "  screening_id TEXT PRIMARY KEY,"
       "  request_id TEXT NOT NULL,"
       "  patient_id TEXT NOT NULL,"
       "  clinic_id TEXT NOT NULL,"
       "  measured_at BIGINT NOT NULL,"    // unix ms, UTC
       "  local_date TEXT NOT NULL,"       // YYYY-MM-DD on the clinic's calendar
       "  ckg_eligible INTEGER NOT NULL,"  // 0/1
       "  referral_recommended INTEGER NOT NULL,"
       "  completed_at BIGINT NOT NULL,"  // unix ms
       "  record {{BLOB}} NOT NULL);"     // serialized klinik.v1.Screening
       "CREATE INDEX screenings_by_patient ON screenings (patient_id, measured_at, screening_id);"
       "CREATE INDEX screenings_by_request ON screenings (clinic_id, request_id);"
       "CREATE INDEX screenings_eligible ON screenings (patient_id, local_date) WHERE ckg_eligible "
       "= 1;"
       "CREATE TABLE screening_findings ("
       "  screening_id TEXT NOT NULL,"
       "  position INTEGER NOT NULL,"  // 0 = most severe
       "  code TEXT NOT NULL,"
       "  icd10 TEXT NOT NULL,"
       "  ilp_cluster INTEGER NOT NULL,"  // klinik.v1.IlpCluster number
       "  is_diagnosis INTEGER NOT NULL,"
       "  PRIMARY KEY (screening_id, position));"
       "CREATE INDEX screening_findings_by_code ON screening_findings (code);"},
  };
  return kMigrations;
}

void Insert(klinik::Transaction& tx, const klinik::v1::Screening& s,
            const klinik::CivilDate& local_date) {
  int64_t completed_ms = klinik::ToUnixMillis(
      std::chrono::floor<std::chrono::milliseconds>(klinik::FromTimestamp(s.completed_at())));
  tx.Execute(
      "INSERT INTO screenings (screening_id, request_id, patient_id, clinic_id, measured_at, "
      "local_date, ckg_eligible, referral_recommended, completed_at, record) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
      {s.screening_id(), s.request_id(), s.patient_id(), s.clinic_id(), MeasuredAtMs(s),
       klinik::FormatCivilDate(local_date), int64_t{s.ckg_eligible() ? 1 : 0},
       int64_t{s.referral_recommended() ? 1 : 0}, completed_ms,
       klinik::Blob{s.SerializeAsString()}});
  for (int i = 0; i < s.findings_size(); ++i) {
    const auto& f = s.findings(i);
    tx.Execute(
        "INSERT INTO screening_findings (screening_id, position, code, icd10, ilp_cluster, "
        "is_diagnosis) VALUES ($1, $2, $3, $4, $5, $6)",
        {s.screening_id(), int64_t{i}, f.code(), f.icd10(), int64_t{f.ilp_cluster()},
         int64_t{f.is_diagnosis() ? 1 : 0}});
  }
}

std::optional<std::string> PatientOf(klinik::Transaction& tx, const std::string& screening_id) {
  auto rows = tx.Query("SELECT patient_id FROM screenings WHERE screening_id = $1", {screening_id});
  if (rows.empty()) return std::nullopt;
  return rows[0].Text(0);
}

std::optional<std::string> FindByRequest(klinik::Transaction& tx, const std::string& clinic_id,
                                         const std::string& request_id) {
  auto rows = tx.Query(
      "SELECT screening_id FROM screenings WHERE clinic_id = $1 AND request_id = $2 LIMIT 1",
      {clinic_id, request_id});
  if (rows.empty()) return std::nullopt;
  return rows[0].Text(0);
}

bool HasEligibleBetween(klinik::Transaction& tx, const std::string& patient_id,
                        const klinik::CivilDate& from, const klinik::CivilDate& to) {
  // YYYY-MM-DD text sorts like the dates it names.
  return !tx.Query(
                "SELECT 1 FROM screenings WHERE patient_id = $1 AND ckg_eligible = 1 "
                "AND local_date >= $2 AND local_date <= $3 LIMIT 1",
                {patient_id, klinik::FormatCivilDate(from), klinik::FormatCivilDate(to)})
              .empty();
}

void Withdraw(klinik::Transaction& tx, const klinik::v1::Screening& screening) {
  tx.Execute("UPDATE screenings SET ckg_eligible = 0, record = $2 WHERE screening_id = $1",
             {screening.screening_id(), klinik::Blob{screening.SerializeAsString()}});
}

std::optional<klinik::v1::Screening> Get(klinik::Transaction& tx, const std::string& screening_id) {
  auto rows = tx.Query("SELECT record FROM screenings WHERE screening_id = $1", {screening_id});
  if (rows.empty()) return std::nullopt;
  return ParseRecord(rows[0], 0);
}

ScreeningPage List(klinik::Transaction& tx, const std::string& patient_id, int page_size,
                   const std::optional<ListCursor>& after) {
  // One row more than asked tells whether another page exists.
  klinik::Params params;
  params.emplace_back(patient_id);
  params.emplace_back(int64_t{page_size + 1});
  std::string sql =
      "SELECT record, measured_at, screening_id FROM screenings WHERE patient_id = $1";
  if (after) {
    sql += " AND (measured_at < $3 OR (measured_at = $3 AND screening_id < $4))";
    params.push_back(after->measured_at_ms);
    params.push_back(after->screening_id);
  }
  sql += " ORDER BY measured_at DESC, screening_id DESC LIMIT $2";
  auto rows = tx.Query(sql, params);
  ScreeningPage page;
  for (size_t i = 0; i < rows.size() && static_cast<int>(i) < page_size; ++i) {
    page.screenings.push_back(ParseRecord(rows[i], 0));
  }
  if (static_cast<int>(rows.size()) > page_size) {
    const klinik::Row& last = rows[static_cast<size_t>(page_size) - 1];
    page.next = ListCursor{last.Int(1), last.Text(2)};
  }
  return page;
}

}  // namespace screening::store
