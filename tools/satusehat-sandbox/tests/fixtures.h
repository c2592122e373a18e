// Valid resources of each type, as the sync service is expected to send them (SATUSEHAT.md);
// tests break one element at a time and expect the sandbox to name it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace klinik::sandbox::fixtures {

inline constexpr const char* kOrg = "10000004";
inline constexpr const char* kPatientNik = "3201014501900001";
inline constexpr const char* kPatientIhs = "P02478375538";
inline constexpr const char* kPractitionerNik = "3201010101800002";
inline constexpr const char* kPractitionerIhs = "N10000001";

inline std::string Sys(const std::string& kind) {
  return "http://sys-ids.kemkes.go.id/" + kind + "/" + kOrg;
}

inline nlohmann::json Encounter(const std::string& visit_id) {
  nlohmann::json e = nlohmann::json::parse(R"({
    "resourceType": "Encounter",
    "status": "arrived",
    "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB", "display": "ambulatory"},
    "subject": {"reference": "Patient/P02478375538"},
    "participant": [{"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "ATND"}]}],
                     "individual": {"reference": "Practitioner/N10000001"}}],
    "period": {"start": "2026-11-23T01:30:00+00:00"},
    "location": [{"location": {"reference": "Location/b017aa54-f1df-4ec2-9d84-8823815d7228"}}],
    "statusHistory": [{"status": "arrived", "period": {"start": "2026-11-23T01:30:00+00:00"}}],
    "serviceProvider": {"reference": "Organization/10000004"}
  })");
  e["identifier"] = {{{"system", Sys("encounter")}, {"value", visit_id}}};
  return e;
}

inline nlohmann::json Observation(const std::string& encounter_id, const std::string& local_id) {
  nlohmann::json o = nlohmann::json::parse(R"({
    "resourceType": "Observation",
    "status": "final",
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
    "code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic blood pressure"}]},
    "subject": {"reference": "Patient/P02478375538"},
    "effectiveDateTime": "2026-11-23T01:35:00Z",
    "valueQuantity": {"value": 150, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}
  })");
  o["encounter"] = {{"reference", "Encounter/" + encounter_id}};
  o["identifier"] = {{{"system", Sys("observation")}, {"value", local_id}}};
  return o;
}

inline nlohmann::json Condition(const std::string& encounter_id, const std::string& local_id) {
  nlohmann::json c = nlohmann::json::parse(R"({
    "resourceType": "Condition",
    "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
    "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}],
    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10", "display": "Essential hypertension"}]},
    "subject": {"reference": "Patient/P02478375538"},
    "recordedDate": "2026-11-23T01:40:00+00:00"
  })");
  c["encounter"] = {{"reference", "Encounter/" + encounter_id}};
  c["identifier"] = {{{"system", Sys("condition")}, {"value", local_id}}};
  return c;
}

inline nlohmann::json Medication(const std::string& local_id) {
  nlohmann::json m = nlohmann::json::parse(R"({
    "resourceType": "Medication",
    "code": {"coding": [{"system": "http://sys-ids.kemkes.go.id/kfa", "code": "93001019", "display": "Amlodipine 5 mg"}]},
    "status": "active",
    "extension": [{"url": "https://fhir.kemkes.go.id/r4/StructureDefinition/MedicationType",
                   "valueCodeableConcept": {"coding": [{"system": "http://terminology.kemkes.go.id/CodeSystem/medication-type", "code": "NC"}]}}]
  })");
  m["identifier"] = {{{"system", Sys("medication")}, {"value", local_id}}};
  return m;
}

inline nlohmann::json MedicationDispense(const std::string& encounter_id,
                                         const std::string& medication_id,
                                         const std::string& prescription, const std::string& item) {
  nlohmann::json d = nlohmann::json::parse(R"({
    "resourceType": "MedicationDispense",
    "status": "completed",
    "category": {"coding": [{"system": "http://terminology.hl7.org/fhir/CodeSystem/medicationdispense-category", "code": "outpatient"}]},
    "subject": {"reference": "Patient/P02478375538"},
    "performer": [{"actor": {"reference": "Practitioner/N10000001"}}],
    "quantity": {"value": 30, "system": "http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm", "code": "TAB"},
    "whenHandedOver": "2026-11-23T02:00:00+00:00",
    "dosageInstruction": [{"text": "1 x 1"}]
  })");
  d["identifier"] = {{{"system", Sys("prescription")}, {"value", prescription}},
                     {{"system", Sys("prescription-item")}, {"value", item}}};
  d["medicationReference"] = {{"reference", "Medication/" + medication_id}};
  d["context"] = {{"reference", "Encounter/" + encounter_id}};
  return d;
}

inline nlohmann::json ServiceRequest(const std::string& encounter_id,
                                     const std::string& referral_id) {
  nlohmann::json s = nlohmann::json::parse(R"({
    "resourceType": "ServiceRequest",
    "status": "active",
    "intent": "order",
    "code": {"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]},
    "subject": {"reference": "Patient/P02478375538"},
    "reasonCode": [{"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]}],
    "locationCode": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-RoleCode", "code": "HOSP"}]}],
    "authoredOn": "2026-11-23T02:10:00+00:00"
  })");
  s["encounter"] = {{"reference", "Encounter/" + encounter_id}};
  s["identifier"] = {{{"system", Sys("servicerequest")}, {"value", referral_id}}};
  return s;
}

}  // namespace klinik::sandbox::fixtures
