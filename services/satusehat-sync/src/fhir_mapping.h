// FHIR R4 resources for SatuSehat, built from KlinikDesa facts (SATUSEHAT.md, "Resources we
// send"). Pure functions: no I/O, no clock. Everything a resource references (IHS numbers, the
// Encounter id) is resolved by the caller and passed in, so every field list can be checked by a
// unit test.
//
//   FhirSite site{"10000004", "b017aa54-…"};
//   nlohmann::json enc = fhir::EncounterArrived(site, ScreeningVisit(screening), refs);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "klinik/time_util.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/screening.pb.h"

namespace satusehat_sync::fhir {

inline constexpr std::string_view kNikSystem = "https://fhir.kemkes.go.id/id/nik";
inline constexpr std::string_view kLoincSystem = "http://loinc.org";
inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";
inline constexpr std::string_view kIcd10System = "http://hl7.org/fhir/sid/icd-10";
inline constexpr std::string_view kKfaSystem = "http://sys-ids.kemkes.go.id/kfa";
inline constexpr std::string_view kSnomedSystem = "http://snomed.info/sct";
inline constexpr std::string_view kMedicationTypeExtension =
    "https://fhir.kemkes.go.id/r4/StructureDefinition/MedicationType";
inline constexpr std::string_view kMedicationTypeSystem =
    "http://terminology.kemkes.go.id/CodeSystem/medication-type";

// The facility every resource belongs to (one client id = one Organization).
struct FhirSite {
  std::string org_id;       // SatuSehat Organization id, also part of every identifier system
  std::string location_id;  // SatuSehat Location id of the clinic's room
};

// "http://sys-ids.kemkes.go.id/<kind>/<org_id>"; kind e.g. "encounter", "observation".
std::string IdentifierSystem(const FhirSite& site, std::string_view kind);

// The SatuSehat ids a resource points at.
struct PeopleRefs {
  std::string patient_ihs;       // Patient.id found by NIK
  std::string practitioner_ihs;  // Practitioner.id found by the health worker's NIK
};

// One clinic visit as an Encounter sees it: a screening or a dispensing.
struct Visit {
  std::string visit_id;  // our id: the identifier value (screening_id, dispensing request_id)
  klinik::TimePoint start;
  klinik::TimePoint end;  // when the visit was finished; never before start
};
Visit ScreeningVisit(const klinik::v1::ScreeningCompleted& screening);
Visit DispensingVisit(const klinik::v1::MedicationDispensed& dispensed);

// A diagnosis the finished Encounter lists, in rank order.
struct DiagnosisRef {
  std::string condition_id;  // Condition.id SatuSehat assigned
  std::string icd10;
  std::string display;
};

// Encounter created "arrived" (period.start, one statusHistory entry).
nlohmann::json EncounterArrived(const FhirSite& site, const Visit& visit, const PeopleRefs& people);
// The whole Encounter for the PUT that finishes it: carries `encounter_id`, period.end, the full
// statusHistory arrived → in-progress → finished, and the diagnosis list.
// The Encounter as SatuSehat returned it, marked entered-in-error at `at` (FHIR R4 Encounter.status:
// "This instance should not have been part of this patient's medical record"): a screening
// withdrawn by its clinic. Everything else is kept, so the PUT changes only the status.
nlohmann::json EncounterEnteredInError(nlohmann::json current, klinik::TimePoint at);
nlohmann::json EncounterFinished(const FhirSite& site, const Visit& visit, const PeopleRefs& people,
                                 const std::string& encounter_id,
                                 const std::vector<DiagnosisRef>& diagnoses);

// One measured value of a screening, with its LOINC code and UCUM unit (SATUSEHAT.md table).
struct MeasuredValue {
  std::string loinc;
  std::string display;
  std::string ucum;
  nlohmann::json value;  // integer or decimal, as measured
};
// Every measured value of the screening that SATUSEHAT.md has a code for, in table order.
// Values without a listed code (HbA1c, uric acid, 2-hour glucose) are not sent.
std::vector<MeasuredValue> MeasuredValues(const klinik::v1::ScreeningCompleted& screening);
// Our identifier value of an Observation: "<screening_id>-<loinc>".
std::string ObservationReference(const std::string& screening_id, const std::string& loinc);
nlohmann::json Observation(const FhirSite& site, const klinik::v1::ScreeningCompleted& screening,
                           const MeasuredValue& value, const std::string& patient_ihs,
                           const std::string& encounter_id);

// Findings sent as Conditions: is_diagnosis with an ICD-10 code, one per distinct code, most
// severe first (the screening's order).
std::vector<klinik::v1::Finding> Diagnoses(const klinik::v1::ScreeningCompleted& screening);
// Our identifier value of a Condition: "<screening_id>-<icd10>".
std::string ConditionReference(const std::string& screening_id, const std::string& icd10);
nlohmann::json Condition(const FhirSite& site, const klinik::v1::ScreeningCompleted& screening,
                         const klinik::v1::Finding& finding, const std::string& patient_ihs,
                         const std::string& encounter_id);

// Our identifier value of a dispensed line: "<prescription_id>-<line_no>".
std::string LineReference(const klinik::v1::MedicationDispensed& dispensed, int line_no);
// Medication for one dispensed KFA product (not compounded: MedicationType NC).
nlohmann::json Medication(const FhirSite& site, const klinik::v1::MedicationDispensed& dispensed,
                          const klinik::v1::DispensedLine& line);
nlohmann::json MedicationDispense(const FhirSite& site,
                                  const klinik::v1::MedicationDispensed& dispensed,
                                  const klinik::v1::DispensedLine& line, const PeopleRefs& people,
                                  const std::string& medication_id,
                                  const std::string& encounter_id);

// ServiceRequest for a referral. `status` is "active" at creation, "completed" or "revoked"
// later (the update is a PUT of the whole resource with `id`). `encounter_id` is the screening's
// Encounter when the referral came from one that is already in SatuSehat, else empty.
nlohmann::json ServiceRequest(const FhirSite& site, const klinik::v1::ReferralCreated& referral,
                              const PeopleRefs& people, const std::string& encounter_id,
                              std::string_view status, const std::string& id = {});

// Diagnostics of an OperationOutcome (issue[].diagnostics, else details.text), joined with "; ",
// with NIK-like digit runs masked. Empty when the body is not an OperationOutcome.
std::string OperationOutcomeDiagnostics(const nlohmann::json& body);
// True when a 200 answer is an OperationOutcome with an issue code "suppressed" (no consent).
bool IsSuppressed(const nlohmann::json& body);
// The first resource id of a searchset Bundle; nullopt when total is 0 / no entry.
std::optional<std::string> FirstSearchResultId(const nlohmann::json& bundle);

}  // namespace satusehat_sync::fhir
