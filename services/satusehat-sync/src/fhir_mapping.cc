#include "fhir_mapping.h"

#include <set>

#include "klinik/log.h"

namespace satusehat_sync::fhir {
namespace {

using nlohmann::json;

std::string When(klinik::TimePoint t) { return klinik::FormatFhirDateTime(t); }

json Reference(std::string_view type, const std::string& id) {
  return {{"reference", std::string(type) + "/" + id}};
}

json Coding(std::string_view system, const std::string& code, const std::string& display) {
  json c = {{"system", system}, {"code", code}};
  if (!display.empty()) c["display"] = display;
  return c;
}

json Concept(std::string_view system, const std::string& code, const std::string& display) {
  return {{"coding", json::array({Coding(system, code, display)})}};
}

json Identifier(const FhirSite& site, std::string_view kind, const std::string& value) {
  return {{"system", IdentifierSystem(site, kind)}, {"value", value}};
}

json EncounterBase(const FhirSite& site, const Visit& visit, const PeopleRefs& people) {
  return {
      {"resourceType", "Encounter"},
      {"identifier", json::array({Identifier(site, "encounter", visit.visit_id)})},
      {"class",
       {{"system", "http://terminology.hl7.org/CodeSystem/v3-ActCode"},
        {"code", "AMB"},
        {"display", "ambulatory"}}},
      {"subject", Reference("Patient", people.patient_ihs)},
      {"participant",
       json::array({{{"type", json::array({Concept(
                                  "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                  "ATND", "attender")})},
                     {"individual", Reference("Practitioner", people.practitioner_ihs)}}})},
      {"location", json::array({{{"location", Reference("Location", site.location_id)}}})},
      {"serviceProvider", Reference("Organization", site.org_id)},
  };
}

json Period(klinik::TimePoint start, std::optional<klinik::TimePoint> end) {
  json p = {{"start", When(start)}};
  if (end) p["end"] = When(*end);
  return p;
}

}  // namespace

std::string IdentifierSystem(const FhirSite& site, std::string_view kind) {
  return "http://sys-ids.kemkes.go.id/" + std::string(kind) + "/" + site.org_id;
}

Visit ScreeningVisit(const klinik::v1::ScreeningCompleted& screening) {
  Visit v{screening.screening_id(), klinik::FromTimestamp(screening.measured_at()),
          klinik::FromTimestamp(screening.completed_at())};
  // A screening is finished when the service stored it; a skewed clock must not make the
  // Encounter end before it began (SatuSehat refuses period.end < period.start).
  if (!screening.has_completed_at() || v.end < v.start) v.end = v.start;
  return v;
}

Visit DispensingVisit(const klinik::v1::MedicationDispensed& dispensed) {
  klinik::TimePoint at = klinik::FromTimestamp(dispensed.dispensed_at());
  return {dispensed.request_id(), at, at};
}

json EncounterArrived(const FhirSite& site, const Visit& visit, const PeopleRefs& people) {
  json e = EncounterBase(site, visit, people);
  e["status"] = "arrived";
  e["period"] = Period(visit.start, std::nullopt);
  e["statusHistory"] =
      json::array({{{"status", "arrived"}, {"period", Period(visit.start, std::nullopt)}}});
  return e;
}

json EncounterEnteredInError(json current, klinik::TimePoint at) {
  current["status"] = "entered-in-error";
  if (!current.contains("statusHistory") || !current["statusHistory"].is_array()) {
    current["statusHistory"] = json::array();
  }
  current["statusHistory"].push_back(
      {{"status", "entered-in-error"}, {"period", Period(at, std::nullopt)}});
  current.erase("meta");  // the server's version stamp, not ours to send back
  return current;
}

json EncounterFinished(const FhirSite& site, const Visit& visit, const PeopleRefs& people,
                       const std::string& encounter_id,
                       const std::vector<DiagnosisRef>& diagnoses) {
  json e = EncounterBase(site, visit, people);
  e["id"] = encounter_id;
  e["status"] = "finished";
  e["period"] = Period(visit.start, visit.end);
  e["statusHistory"] = json::array({
      {{"status", "arrived"}, {"period", Period(visit.start, visit.start)}},
      {{"status", "in-progress"}, {"period", Period(visit.start, visit.end)}},
      {{"status", "finished"}, {"period", Period(visit.end, visit.end)}},
  });
  if (!diagnoses.empty()) {
    json list = json::array();
    int rank = 1;
    for (const DiagnosisRef& d : diagnoses) {
      json condition = Reference("Condition", d.condition_id);
      if (!d.display.empty()) condition["display"] = d.display;
      list.push_back({{"condition", condition},
                      {"use", Concept("http://terminology.hl7.org/CodeSystem/diagnosis-role", "DD",
                                      "Discharge diagnosis")},
                      {"rank", rank++}});
    }
    e["diagnosis"] = list;
  }
  return e;
}

std::vector<MeasuredValue> MeasuredValues(const klinik::v1::ScreeningCompleted& screening) {
  const auto& m = screening.measurements();
  std::vector<MeasuredValue> out;
  auto add = [&](const char* loinc, const char* display, const char* ucum, json value) {
    out.push_back({loinc, display, ucum, std::move(value)});
  };
  if (m.has_systolic_mmhg()) add("8480-6", "Systolic blood pressure", "mm[Hg]", m.systolic_mmhg());
  if (m.has_diastolic_mmhg())
    add("8462-4", "Diastolic blood pressure", "mm[Hg]", m.diastolic_mmhg());
  if (m.has_heart_rate_bpm()) add("8867-4", "Heart rate", "/min", m.heart_rate_bpm());
  if (m.has_weight_kg()) add("29463-7", "Body weight", "kg", m.weight_kg());
  if (m.has_height_cm()) add("8302-2", "Body height", "cm", m.height_cm());
  // The screening service fills measurements.bmi_kg_m2 when it computed it; classification
  // carries the same value and is the fallback for older facts.
  if (m.has_bmi_kg_m2()) {
    add("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2", m.bmi_kg_m2());
  } else if (screening.classification().has_bmi_kg_m2()) {
    add("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2",
        screening.classification().bmi_kg_m2());
  }
  if (m.has_waist_cm())
    add("8280-0", "Waist Circumference at umbilicus by Tape measure", "cm", m.waist_cm());
  if (m.has_glucose_mg_dl()) {
    if (m.glucose_kind() == klinik::v1::GLUCOSE_KIND_FASTING) {
      add("1558-6", "Fasting glucose [Mass/volume] in Serum or Plasma", "mg/dL", m.glucose_mg_dl());
    } else if (m.glucose_kind() == klinik::v1::GLUCOSE_KIND_RANDOM) {
      add("2345-7", "Glucose [Mass/volume] in Serum or Plasma", "mg/dL", m.glucose_mg_dl());
    }
  }
  if (m.has_total_cholesterol_mg_dl()) {
    add("2093-3", "Cholesterol [Mass/volume] in Serum or Plasma", "mg/dL",
        m.total_cholesterol_mg_dl());
  }
  return out;
}

std::string ObservationReference(const std::string& screening_id, const std::string& loinc) {
  return screening_id + "-" + loinc;
}

json Observation(const FhirSite& site, const klinik::v1::ScreeningCompleted& screening,
                 const MeasuredValue& value, const std::string& patient_ihs,
                 const std::string& encounter_id) {
  return {
      {"resourceType", "Observation"},
      {"identifier",
       json::array({Identifier(site, "observation",
                               ObservationReference(screening.screening_id(), value.loinc))})},
      {"status", "final"},
      {"category",
       json::array({Concept("http://terminology.hl7.org/CodeSystem/observation-category",
                            "vital-signs", "Vital Signs")})},
      {"code", Concept(kLoincSystem, value.loinc, value.display)},
      {"subject", Reference("Patient", patient_ihs)},
      {"encounter", Reference("Encounter", encounter_id)},
      {"effectiveDateTime", When(klinik::FromTimestamp(screening.measured_at()))},
      {"valueQuantity",
       {{"value", value.value},
        {"unit", value.ucum},
        {"system", kUcumSystem},
        {"code", value.ucum}}},
  };
}

std::vector<klinik::v1::Finding> Diagnoses(const klinik::v1::ScreeningCompleted& screening) {
  std::vector<klinik::v1::Finding> out;
  std::set<std::string> seen;
  for (const auto& f : screening.findings()) {
    if (!f.is_diagnosis() || f.icd10().empty()) continue;
    if (seen.insert(f.icd10()).second) out.push_back(f);
  }
  return out;
}

std::string ConditionReference(const std::string& screening_id, const std::string& icd10) {
  return screening_id + "-" + icd10;
}

json Condition(const FhirSite& site, const klinik::v1::ScreeningCompleted& screening,
               const klinik::v1::Finding& finding, const std::string& patient_ihs,
               const std::string& encounter_id) {
  return {
      {"resourceType", "Condition"},
      {"identifier",
       json::array({Identifier(site, "condition",
                               ConditionReference(screening.screening_id(), finding.icd10()))})},
      {"clinicalStatus",
       Concept("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active")},
      {"category", json::array({Concept("http://terminology.hl7.org/CodeSystem/condition-category",
                                        "encounter-diagnosis", "Encounter Diagnosis")})},
      {"code", Concept(kIcd10System, finding.icd10(), finding.display())},
      {"subject", Reference("Patient", patient_ihs)},
      {"encounter", Reference("Encounter", encounter_id)},
      {"recordedDate", When(klinik::FromTimestamp(screening.measured_at()))},
  };
}

std::string LineReference(const klinik::v1::MedicationDispensed& dispensed, int line_no) {
  return dispensed.prescription_id() + "-" + std::to_string(line_no);
}

json Medication(const FhirSite& site, const klinik::v1::MedicationDispensed& dispensed,
                const klinik::v1::DispensedLine& line) {
  return {
      {"resourceType", "Medication"},
      {"meta",
       {{"profile", json::array({"https://fhir.kemkes.go.id/r4/StructureDefinition/Medication"})}}},
      {"identifier",
       json::array({Identifier(site, "medication", LineReference(dispensed, line.line_no()))})},
      {"code", Concept(kKfaSystem, line.item_code(), "")},
      {"status", "active"},
      {"extension", json::array({{{"url", kMedicationTypeExtension},
                                  {"valueCodeableConcept",
                                   Concept(kMedicationTypeSystem, "NC", "Non-compound")}}})},
  };
}

json MedicationDispense(const FhirSite& site, const klinik::v1::MedicationDispensed& dispensed,
                        const klinik::v1::DispensedLine& line, const PeopleRefs& people,
                        const std::string& medication_id, const std::string& encounter_id) {
  json d = {
      {"resourceType", "MedicationDispense"},
      {"identifier", json::array({Identifier(site, "prescription", dispensed.prescription_id()),
                                  Identifier(site, "prescription-item",
                                             LineReference(dispensed, line.line_no()))})},
      {"status", "completed"},
      {"category", Concept("http://terminology.hl7.org/fhir/CodeSystem/medicationdispense-category",
                           "outpatient", "Outpatient")},
      {"medicationReference", Reference("Medication", medication_id)},
      {"subject", Reference("Patient", people.patient_ihs)},
      {"context", Reference("Encounter", encounter_id)},
      {"performer", json::array({{{"actor", Reference("Practitioner", people.practitioner_ihs)}}})},
      {"location", Reference("Location", site.location_id)},
      {"quantity", {{"value", line.quantity()}}},
      {"whenHandedOver", When(klinik::FromTimestamp(dispensed.dispensed_at()))},
  };
  if (!line.dosage_text().empty()) {
    d["dosageInstruction"] = json::array({{{"sequence", 1}, {"text", line.dosage_text()}}});
  }
  return d;
}

json ServiceRequest(const FhirSite& site, const klinik::v1::ReferralCreated& referral,
                    const PeopleRefs& people, const std::string& encounter_id,
                    std::string_view status, const std::string& id) {
  json r = {
      {"resourceType", "ServiceRequest"},
      {"identifier", json::array({Identifier(site, "servicerequest", referral.referral_id())})},
      {"status", status},
      {"intent", "order"},
      {"priority", referral.urgency() == klinik::v1::URGENCY_URGENT ? "urgent" : "routine"},
      {"code", Concept(kSnomedSystem, "3457005", "Patient referral")},
      {"subject", Reference("Patient", people.patient_ihs)},
      {"requester", Reference("Practitioner", people.practitioner_ihs)},
      {"authoredOn", When(klinik::FromTimestamp(referral.requested_at()))},
  };
  if (!id.empty()) r["id"] = id;
  if (!encounter_id.empty()) r["encounter"] = Reference("Encounter", encounter_id);
  if (referral.icd10_size() > 0) {
    json reasons = json::array();
    for (const auto& code : referral.icd10()) reasons.push_back(Concept(kIcd10System, code, ""));
    r["reasonCode"] = reasons;
  }
  const char* location = nullptr;
  switch (referral.target_facility_kind()) {
    case klinik::v1::FACILITY_KIND_HOSPITAL:
      location = "HOSP";
      break;
    case klinik::v1::FACILITY_KIND_PUSKESMAS:
    case klinik::v1::FACILITY_KIND_CLINIC:
      location = "PC";
      break;
    default:
      break;
  }
  if (location != nullptr) {
    r["locationCode"] = json::array(
        {Concept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", location,
                 std::string(location) == "HOSP" ? "Hospital" : "primary care clinic")});
  }
  return r;
}

std::string OperationOutcomeDiagnostics(const json& body) {
  if (!body.is_object() || body.value("resourceType", "") != "OperationOutcome") return {};
  std::string out;
  for (const auto& issue : body.value("issue", json::array())) {
    std::string text;
    if (issue.contains("diagnostics") && issue["diagnostics"].is_string()) {
      text = issue["diagnostics"].get<std::string>();
    } else if (issue.contains("details") && issue["details"].is_object() &&
               issue["details"].contains("text") && issue["details"]["text"].is_string()) {
      text = issue["details"]["text"].get<std::string>();
    }
    if (issue.contains("expression") && issue["expression"].is_array() &&
        !issue["expression"].empty() && issue["expression"][0].is_string()) {
      text += (text.empty() ? "" : " ") + std::string("[") +
              issue["expression"][0].get<std::string>() + "]";
    }
    if (text.empty()) continue;
    if (!out.empty()) out += "; ";
    out += text;
  }
  return klinik::redact::Scrub(out);
}

bool IsSuppressed(const json& body) {
  if (!body.is_object() || body.value("resourceType", "") != "OperationOutcome") return false;
  for (const auto& issue : body.value("issue", json::array())) {
    if (issue.is_object() && issue.value("code", "") == "suppressed") return true;
  }
  return false;
}

std::optional<std::string> FirstSearchResultId(const json& bundle) {
  if (!bundle.is_object() || bundle.value("resourceType", "") != "Bundle") return std::nullopt;
  for (const auto& entry : bundle.value("entry", json::array())) {
    if (entry.contains("resource") && entry["resource"].contains("id") &&
        entry["resource"]["id"].is_string()) {
      return entry["resource"]["id"].get<std::string>();
    }
  }
  return std::nullopt;
}

}  // namespace satusehat_sync::fhir
