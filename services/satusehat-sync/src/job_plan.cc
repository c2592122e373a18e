#include "job_plan.h"

#include "fhir_mapping.h"

namespace satusehat_sync {
namespace {

PlannedJob Job(std::string_view k, std::string ref, std::string type, std::string action,
               std::string detail = {}, std::vector<JobKey> deps = {}) {
  return {{std::string(k), std::move(ref)},
          std::move(type),
          std::move(action),
          std::move(detail),
          std::move(deps)};
}

}  // namespace

std::vector<PlannedJob> PlanPatient(const klinik::v1::PatientRegistered& fact) {
  return {Job(kind::kPatient, fact.patient_id(), "Patient", "lookup")};
}

std::vector<PlannedJob> PlanScreening(const klinik::v1::ScreeningCompleted& fact) {
  const std::string& id = fact.screening_id();
  const JobKey encounter{std::string(kind::kEncounter), id};
  std::vector<PlannedJob> jobs{Job(kind::kEncounter, id, "Encounter", "create")};
  for (const auto& v : fhir::MeasuredValues(fact)) {
    jobs.push_back(Job(kind::kObservation, fhir::ObservationReference(id, v.loinc), "Observation",
                       "create", v.loinc, {encounter}));
  }
  std::vector<JobKey> finish_deps{encounter};
  for (const auto& d : fhir::Diagnoses(fact)) {
    std::string ref = fhir::ConditionReference(id, d.icd10());
    finish_deps.push_back({std::string(kind::kCondition), ref});
    jobs.push_back(Job(kind::kCondition, ref, "Condition", "create", d.icd10(), {encounter}));
  }
  jobs.push_back(Job(kind::kEncounterFinish, id, "Encounter", "update", "finished", finish_deps));
  return jobs;
}

std::vector<PlannedJob> PlanDispensing(const klinik::v1::MedicationDispensed& fact) {
  const std::string& visit = fact.request_id();
  const JobKey encounter{std::string(kind::kEncounter), visit};
  std::vector<PlannedJob> jobs{Job(kind::kEncounter, visit, "Encounter", "create")};
  std::vector<JobKey> finish_deps{encounter};
  for (const auto& line : fact.lines()) {
    std::string ref = fhir::LineReference(fact, line.line_no());
    std::string no = std::to_string(line.line_no());
    jobs.push_back(Job(kind::kMedication, ref, "Medication", "create", no));
    jobs.push_back(Job(kind::kMedicationDispense, ref, "MedicationDispense", "create", no,
                       {encounter, {std::string(kind::kMedication), ref}}));
    finish_deps.push_back({std::string(kind::kMedicationDispense), ref});
  }
  jobs.push_back(
      Job(kind::kEncounterFinish, visit, "Encounter", "update", "finished", finish_deps));
  return jobs;
}

std::vector<PlannedJob> PlanScreeningWithdrawn(const klinik::v1::ScreeningWithdrawn& fact) {
  const std::string& id = fact.screening_id();
  return {Job(kind::kEncounterWithdraw, id, "Encounter", "update", "entered-in-error",
              {{std::string(kind::kEncounterFinish), id}})};
}

std::vector<PlannedJob> PlanReferralCreated(const klinik::v1::ReferralCreated& fact) {
  // SatuSehat's ServiceRequest names its Encounter: a referral opened from a screening waits
  // for that screening's Encounter (it may arrive later: another topic).
  std::vector<JobKey> deps;
  if (!fact.source_screening_id().empty()) {
    deps.push_back({std::string(kind::kEncounter), fact.source_screening_id()});
  }
  return {
      Job(kind::kServiceRequest, fact.referral_id(), "ServiceRequest", "create", "active", deps)};
}

std::vector<PlannedJob> PlanReferralEnded(const std::string& referral_id,
                                          std::string_view fhir_status) {
  return {Job(kind::kServiceRequestUpdate, referral_id, "ServiceRequest", "update",
              std::string(fhir_status), {{std::string(kind::kServiceRequest), referral_id}})};
}

}  // namespace satusehat_sync
