// The patient register in SQL, on either backend. One patient per NIK is a UNIQUE index, not a
// check in memory: two replicas inserting the same new NIK at once both pass their SELECT, and
// the database lets exactly one INSERT through. The loser's StorageError (kUniqueViolation)
// escapes the handler, the consume loop retries the event, and the retry finds the winner's row.
// Newborns without a NIK are unique on (mother_nik, birth_date, birth_order).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "klinik/storage.h"
#include "patient.h"

namespace registration {

// Where a search page starts: after this (name key, patient id).
struct SearchKey {
  std::string name_key;
  std::string patient_id;
};

struct SearchQuery {
  std::string village_code;  // empty = any
  std::string clinic_id;     // empty = any
  std::string name_prefix;   // compared with NameKey(full_name); empty = any
  std::optional<SearchKey> after;
  int limit = 50;
};

struct SearchRow {
  PatientRecord patient;
  std::string name_key;
};

// Every function runs in the caller's transaction, so a patient row and its fact commit together.
namespace store {

[[nodiscard]] std::vector<klinik::Migration> Migrations(klinik::Dialect dialect);

[[nodiscard]] std::optional<PatientRecord> FindById(klinik::Transaction& tx,
                                                    const std::string& patient_id,
                                                    bool for_update = false);
[[nodiscard]] std::optional<PatientRecord> FindByNik(klinik::Transaction& tx,
                                                     const std::string& nik);
[[nodiscard]] std::optional<PatientRecord> FindNewborn(klinik::Transaction& tx,
                                                       const std::string& mother_nik,
                                                       const std::string& birth_date,
                                                       int birth_order);
// Throws StorageError(kUniqueViolation) when the identity was taken concurrently.
void Insert(klinik::Transaction& tx, const PatientRecord& patient);
void UpdateContact(klinik::Transaction& tx, const PatientRecord& patient);
// Ordered by name key, then patient id (keyset pagination).
[[nodiscard]] std::vector<SearchRow> Search(klinik::Transaction& tx, const SearchQuery& query);

}  // namespace store
}  // namespace registration
