#include "store.h"

#include "registrar.h"

namespace registration::store {
namespace {

constexpr std::string_view kColumns =
    "patient_id, nik, mother_nik, birth_order, full_name, birth_date, sex, village_code, rt, rw, "
    "street, phone, bpjs_number, clinic_id, request_id, created_at_ms, updated_at_ms, name_key";

int64_t SexToInt(Sex s) { return s == Sex::kMale ? 1 : s == Sex::kFemale ? 2 : 0; }
Sex SexFromInt(int64_t v) {
  return v == 1 ? Sex::kMale : v == 2 ? Sex::kFemale : Sex::kUnspecified;
}

klinik::Value OptionalText(const std::string& s) {
  if (s.empty()) return nullptr;
  return s;
}

SearchRow FromRow(const klinik::Row& r) {
  SearchRow out;
  PatientRecord& p = out.patient;
  p.patient_id = r.Text(0);
  p.nik = r.Text(1);
  p.mother_nik = r.Text(2);
  p.birth_order = static_cast<int>(r.Int(3));
  p.full_name = r.Text(4);
  p.birth_date = r.Text(5);
  p.sex = SexFromInt(r.Int(6));
  p.address = Address{r.Text(7), r.Text(8), r.Text(9), r.Text(10)};
  p.phone = r.Text(11);
  p.bpjs_number = r.Text(12);
  p.clinic_id = r.Text(13);
  p.request_id = r.Text(14);
  p.created_at = klinik::FromUnixMillis(r.Int(15));
  p.updated_at = klinik::FromUnixMillis(r.Int(16));
  out.name_key = r.Text(17);
  return out;
}

std::optional<PatientRecord> One(const klinik::Rows& rows) {
  if (rows.empty()) return std::nullopt;
  return FromRow(rows.front()).patient;
}

// Number of characters (UTF-8 code points): substr() counts characters on both engines.
int64_t CodePoints(std::string_view s) {
  int64_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

std::vector<klinik::Migration> Migrations(klinik::Dialect dialect) {
  // name_key sorts by bytes on both engines (PostgreSQL's default collation would not), so the
  // keyset comparison and ORDER BY agree everywhere.
  std::string byte_order = dialect == klinik::Dialect::kPostgres ? " COLLATE \"C\"" : "";
  return {
      {1, "patients",
       "CREATE TABLE registration_patients ("
       " patient_id TEXT PRIMARY KEY,"
       " nik TEXT,"  // NULL for a newborn without a NIK (NULLs never collide in a UNIQUE index)
       " mother_nik TEXT,"
       " birth_order INTEGER NOT NULL,"
       " full_name TEXT NOT NULL,"
       " name_key TEXT" +
           byte_order +
           " NOT NULL,"
           " birth_date TEXT NOT NULL,"
           " sex INTEGER NOT NULL,"
           " village_code TEXT NOT NULL,"
           " rt TEXT NOT NULL,"
           " rw TEXT NOT NULL,"
           " street TEXT NOT NULL,"
           " phone TEXT NOT NULL,"
           " bpjs_number TEXT NOT NULL,"
           " clinic_id TEXT NOT NULL,"
           " request_id TEXT NOT NULL,"
           " created_at_ms BIGINT NOT NULL,"
           " updated_at_ms BIGINT NOT NULL);"
           "CREATE UNIQUE INDEX registration_patients_nik ON registration_patients (nik);"
           "CREATE UNIQUE INDEX registration_patients_newborn"
           " ON registration_patients (mother_nik, birth_date, birth_order) WHERE nik IS NULL;"
           "CREATE INDEX registration_patients_village"
           " ON registration_patients (village_code, name_key, patient_id);"
           "CREATE INDEX registration_patients_clinic"
           " ON registration_patients (clinic_id, name_key, patient_id);"},
  };
}

std::optional<PatientRecord> FindById(klinik::Transaction& tx, const std::string& patient_id,
                                      bool for_update) {
  std::string sql =
      "SELECT " + std::string(kColumns) + " FROM registration_patients WHERE patient_id = $1";
  if (for_update) sql += tx.ForUpdate();
  return One(tx.Query(sql, {patient_id}));
}

std::optional<PatientRecord> FindByNik(klinik::Transaction& tx, const std::string& nik) {
  return One(tx.Query(
      "SELECT " + std::string(kColumns) + " FROM registration_patients WHERE nik = $1", {nik}));
}

std::optional<PatientRecord> FindNewborn(klinik::Transaction& tx, const std::string& mother_nik,
                                         const std::string& birth_date, int birth_order) {
  return One(tx.Query("SELECT " + std::string(kColumns) +
                          " FROM registration_patients WHERE nik IS NULL AND mother_nik = $1"
                          " AND birth_date = $2 AND birth_order = $3",
                      {mother_nik, birth_date, int64_t{birth_order}}));
}

void Insert(klinik::Transaction& tx, const PatientRecord& p) {
  tx.Execute("INSERT INTO registration_patients (" + std::string(kColumns) +
                 ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
                 "$16, $17, $18)",
             {p.patient_id, OptionalText(p.nik), OptionalText(p.mother_nik), int64_t{p.birth_order},
              p.full_name, p.birth_date, SexToInt(p.sex), p.address.village_code, p.address.rt,
              p.address.rw, p.address.street, p.phone, p.bpjs_number, p.clinic_id, p.request_id,
              klinik::ToUnixMillis(p.created_at), klinik::ToUnixMillis(p.updated_at),
              NameKey(p.full_name)});
}

void UpdateContact(klinik::Transaction& tx, const PatientRecord& p) {
  tx.Execute(
      "UPDATE registration_patients SET village_code = $2, rt = $3, rw = $4, street = $5, phone = "
      "$6,"
      " updated_at_ms = $7 WHERE patient_id = $1",
      {p.patient_id, p.address.village_code, p.address.rt, p.address.rw, p.address.street, p.phone,
       klinik::ToUnixMillis(p.updated_at)});
}

std::vector<SearchRow> Search(klinik::Transaction& tx, const SearchQuery& q) {
  // The statement text depends only on which filters are set, so each variant is prepared once.
  std::string sql = "SELECT " + std::string(kColumns) + " FROM registration_patients WHERE 1 = 1";
  klinik::Params params;
  auto next = [&](klinik::Value v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  };
  if (!q.village_code.empty()) sql += " AND village_code = " + next(q.village_code);
  if (!q.clinic_id.empty()) sql += " AND clinic_id = " + next(q.clinic_id);
  if (!q.name_prefix.empty()) {
    // The >= bound lets the index skip ahead; substr() decides.
    std::string p = next(q.name_prefix);
    sql += " AND name_key >= " + p + " AND substr(name_key, 1, " + next(CodePoints(q.name_prefix)) +
           ") = " + p;
  }
  if (q.after) {
    std::string name = next(q.after->name_key);
    sql += " AND (name_key > " + name + " OR (name_key = " + name + " AND patient_id > " +
           next(q.after->patient_id) + "))";
  }
  sql += " ORDER BY name_key, patient_id LIMIT " + next(int64_t{q.limit});
  std::vector<SearchRow> out;
  for (const klinik::Row& r : tx.Query(sql, params)) out.push_back(FromRow(r));
  return out;
}

}  // namespace registration::store
