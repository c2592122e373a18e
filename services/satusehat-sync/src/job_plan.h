// Which sync jobs a fact becomes (pure). A job sends one FHIR resource; `kind` says how it is
// built and `local_reference` is our identifier value of that resource, unique per kind — the
// store refuses a second job for the same (kind, local_reference), so a fact replayed under a
// new ce_id can never create a resource twice. Dependencies name other jobs by (kind,
// local_reference): a job is not sent before all of them are synced (an Observation needs its
// Encounter's id; the finished Encounter lists its Conditions' ids).
#pragma once

#include <string>
#include <vector>

#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"

namespace satusehat_sync {

// How a job's resource is built and sent; stored as text.
namespace kind {
inline constexpr std::string_view kPatient = "patient";                   // GET Patient by NIK
inline constexpr std::string_view kEncounter = "encounter";               // POST, arrived
inline constexpr std::string_view kEncounterFinish = "encounter_finish";  // PUT, finished
inline constexpr std::string_view kEncounterWithdraw =
    "encounter_withdraw";  // PUT, entered-in-error
inline constexpr std::string_view kObservation = "observation";
inline constexpr std::string_view kCondition = "condition";
inline constexpr std::string_view kMedication = "medication";
inline constexpr std::string_view kMedicationDispense = "medication_dispense";
inline constexpr std::string_view kServiceRequest = "service_request";               // POST, active
inline constexpr std::string_view kServiceRequestUpdate = "service_request_update";  // PUT
}  // namespace kind

struct JobKey {
  std::string kind;
  std::string local_reference;
  bool operator==(const JobKey&) const = default;
};

struct PlannedJob {
  JobKey key;
  std::string resource_type;  // FHIR type, e.g. "Observation"
  std::string action;         // "create", "update" or "lookup"
  std::string detail;         // what inside the fact: LOINC code, ICD-10 code, line number, status
  std::vector<JobKey> depends_on;
};

std::vector<PlannedJob> PlanPatient(const klinik::v1::PatientRegistered& fact);
std::vector<PlannedJob> PlanScreening(const klinik::v1::ScreeningCompleted& fact);
std::vector<PlannedJob> PlanDispensing(const klinik::v1::MedicationDispensed& fact);
// A withdrawn screening: its Encounter marked entered-in-error once it is finished (a PUT
// before the finishing one would be overwritten by it).
std::vector<PlannedJob> PlanScreeningWithdrawn(const klinik::v1::ScreeningWithdrawn& fact);
// Waits for the Encounter of source_screening_id when the referral came from a screening.
std::vector<PlannedJob> PlanReferralCreated(const klinik::v1::ReferralCreated& fact);
// A referral that ended (completed, cancelled, expired): the ServiceRequest is updated to
// `fhir_status` ("completed", "revoked") once the create job has synced.
std::vector<PlannedJob> PlanReferralEnded(const std::string& referral_id,
                                          std::string_view fhir_status);

}  // namespace satusehat_sync
