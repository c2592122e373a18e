// Storage of screenings and their findings (tables screenings, screening_findings), on either
// backend through klinik::Transaction. The full record is kept as the serialized
// klinik.v1.Screening so reads return exactly what was published; the columns beside it exist
// for lookups (by patient, by request, eligible screenings in a birthday window) and for
// district queries over findings.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "klinik/v1/screening.pb.h"

namespace screening {

// Keyset position in a patient's screenings (newest measured_at first, then screening_id).
struct ListCursor {
  int64_t measured_at_ms = 0;
  std::string screening_id;
};

struct ScreeningPage {
  std::vector<klinik::v1::Screening> screenings;
  std::optional<ListCursor> next;  // set when more screenings follow
};

namespace store {

[[nodiscard]] const std::vector<klinik::Migration>& Migrations();

// `local_date` is the clinic's day of measured_at, the day birthday windows are judged on.
void Insert(klinik::Transaction& tx, const klinik::v1::Screening& screening,
            const klinik::CivilDate& local_date);
// The patient a stored screening belongs to, if the id exists.
[[nodiscard]] std::optional<std::string> PatientOf(klinik::Transaction& tx,
                                                   const std::string& screening_id);
// The screening an app request created, if any (idempotency when the app sent no id).
[[nodiscard]] std::optional<std::string> FindByRequest(klinik::Transaction& tx,
                                                       const std::string& clinic_id,
                                                       const std::string& request_id);
// True when the patient has a CKG-eligible screening on a local day in [from, to].
[[nodiscard]] bool HasEligibleBetween(klinik::Transaction& tx, const std::string& patient_id,
                                      const klinik::CivilDate& from, const klinik::CivilDate& to);
// Stores `screening` (its withdrawn_at set) in place of the stored record; it no longer counts
// as a CKG screening.
void Withdraw(klinik::Transaction& tx, const klinik::v1::Screening& screening);
[[nodiscard]] std::optional<klinik::v1::Screening> Get(klinik::Transaction& tx,
                                                       const std::string& screening_id);
[[nodiscard]] ScreeningPage List(klinik::Transaction& tx, const std::string& patient_id,
                                 int page_size, const std::optional<ListCursor>& after);

}  // namespace store
}  // namespace screening
