// Unit tests of the validation rules: every rule refuses a resource broken in exactly one place
// and names that place; the valid fixtures pass.
#include "fhir_validation.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "fixtures.h"

namespace klinik::sandbox {
namespace {

using nlohmann::json;
namespace fx = fixtures;

class FakeResolver : public ReferenceResolver {
 public:
  bool PatientKnown(std::string_view ihs) const override { return ihs == fx::kPatientIhs; }
  bool ResourceExists(std::string_view type, std::string_view id) const override {
    return known_.contains(std::string(type) + "/" + std::string(id));
  }

 private:
  std::set<std::string> known_ = {"Encounter/enc-1", "Medication/med-1", "Condition/cond-1"};
};

json Valid(const std::string& type) {
  if (type == "Encounter") return fx::Encounter("visit-1");
  if (type == "Observation") return fx::Observation("enc-1", "obs-1");
  if (type == "Condition") return fx::Condition("enc-1", "cond-1");
  if (type == "Medication") return fx::Medication("med-1");
  if (type == "MedicationDispense")
    return fx::MedicationDispense("enc-1", "med-1", "rx-1", "rx-1-1");
  return fx::ServiceRequest("enc-1", "ref-1");
}

std::vector<Issue> Validate(const json& resource, const std::string& type) {
  return ValidateResource(resource, type, fx::kOrg, FakeResolver());
}

std::string Describe(const std::vector<Issue>& issues) {
  std::string out;
  for (const Issue& i : issues) {
    out += std::string(IssueCodeName(i.code)) + " " + i.expression + ": " + i.text + "\n";
  }
  return out;
}

TEST(SandboxValidation, EveryFixtureIsValid) {
  for (std::string type : {"Encounter", "Observation", "Condition", "Medication",
                           "MedicationDispense", "ServiceRequest"}) {
    EXPECT_EQ(Describe(Validate(Valid(type), type)), "") << type;
  }
  json finished = Valid("Encounter");
  finished["status"] = "finished";
  finished["period"]["end"] = "2026-11-23T02:30:00Z";
  finished["diagnosis"] = {{{"condition", {{"reference", "Condition/cond-1"}}}, {"rank", 1}}};
  EXPECT_EQ(Describe(Validate(finished, "Encounter")), "");
}

struct BrokenCase {
  std::string name;
  std::string type;
  std::function<void(json&)> breaks;
  IssueCode code;
  std::string expression;
  std::string rule;
};

void PrintTo(const BrokenCase& c, std::ostream* os) { *os << c.name; }

void Erase(json& r, const std::string& pointer) {
  json::json_pointer p(pointer);
  r[p.parent_pointer()].erase(p.back());
}

void Set(json& r, const std::string& pointer, json value) {
  r[json::json_pointer(pointer)] = std::move(value);
}

std::vector<BrokenCase> BrokenCases() {
  using C = IssueCode;
  const std::string other_org = "http://sys-ids.kemkes.go.id/encounter/99999999";
  return {
      // identifiers
      {"identifier_of_other_org", "Encounter",
       [other_org](json& r) { Set(r, "/identifier/0/system", other_org); }, C::kValue,
       "Encounter.identifier[0].system", "10117"},
      {"identifier_without_value", "Observation", [](json& r) { Erase(r, "/identifier/0/value"); },
       C::kRequired, "Observation.identifier[0].value", ""},
      {"identifier_not_array", "Condition", [](json& r) { r["identifier"] = "cond-1"; },
       C::kInvalid, "Condition.identifier", ""},
      // UTC date-times
      {"local_offset", "Encounter",
       [](json& r) { Set(r, "/period/start", "2026-11-23T08:30:00+07:00"); }, C::kValue,
       "Encounter.period.start", ""},
      {"status_history_local", "Encounter",
       [](json& r) { Set(r, "/statusHistory/0/period/start", "2026-11-23T08:30:00+07:00"); },
       C::kValue, "Encounter.statusHistory[0].period.start", ""},
      {"date_only", "Observation", [](json& r) { r["effectiveDateTime"] = "2026-11-23"; },
       C::kValue, "Observation.effectiveDateTime", ""},
      {"no_offset", "Condition", [](json& r) { r["recordedDate"] = "2026-11-23T01:40:00"; },
       C::kValue, "Condition.recordedDate", ""},
      {"handed_over_local", "MedicationDispense",
       [](json& r) { r["whenHandedOver"] = "2026-11-23T09:00:00+07:00"; }, C::kValue,
       "MedicationDispense.whenHandedOver", ""},
      {"authored_not_string", "ServiceRequest", [](json& r) { r["authoredOn"] = 1700000000; },
       C::kValue, "ServiceRequest.authoredOn", ""},
      // references
      {"unknown_patient", "Encounter",
       [](json& r) { Set(r, "/subject/reference", "Patient/P00000000000"); }, C::kValue,
       "Encounter.subject.reference", ""},
      {"subject_not_patient", "Observation",
       [](json& r) { Set(r, "/subject/reference", "Group/g1"); }, C::kValue,
       "Observation.subject.reference", ""},
      {"malformed_reference", "Condition",
       [](json& r) { Set(r, "/subject/reference", "P02478375538"); }, C::kValue,
       "Condition.subject.reference", ""},
      {"missing_encounter_target", "Observation",
       [](json& r) { Set(r, "/encounter/reference", "Encounter/nope"); }, C::kValue,
       "Observation.encounter.reference", ""},
      {"unresolved_urn", "Condition",
       [](json& r) { Set(r, "/encounter/reference", "urn:uuid:1b4e28ba-2fa1"); }, C::kValue,
       "Condition.encounter.reference", ""},
      {"diagnosis_missing_condition", "Encounter",
       [](json& r) {
         r["diagnosis"] = {{{"condition", {{"reference", "Condition/nope"}}}}};
       },
       C::kValue, "Encounter.diagnosis[0].condition.reference", ""},
      // Encounter
      {"encounter_without_identifier", "Encounter", [](json& r) { r.erase("identifier"); },
       C::kRequired, "Encounter.identifier", ""},
      {"encounter_bad_status", "Encounter", [](json& r) { r["status"] = "done"; }, C::kValue,
       "Encounter.status", ""},
      {"encounter_status_not_string", "Encounter", [](json& r) { r["status"] = 5; }, C::kInvalid,
       "Encounter.status", ""},
      {"encounter_class_system", "Encounter",
       [](json& r) { Set(r, "/class/system", "http://example.org"); }, C::kValue,
       "Encounter.class.system", ""},
      {"encounter_without_subject", "Encounter", [](json& r) { r.erase("subject"); }, C::kRequired,
       "Encounter.subject", ""},
      {"encounter_without_attender", "Encounter",
       [](json& r) { Set(r, "/participant/0/type/0/coding/0/code", "CON"); }, C::kRequired,
       "Encounter.participant", ""},
      {"encounter_participant_not_practitioner", "Encounter",
       [](json& r) { Set(r, "/participant/0/individual/reference", "Patient/P02478375538"); },
       C::kRequired, "Encounter.participant", ""},
      {"encounter_without_period", "Encounter", [](json& r) { r.erase("period"); }, C::kRequired,
       "Encounter.period", ""},
      {"finished_without_end", "Encounter", [](json& r) { r["status"] = "finished"; }, C::kRequired,
       "Encounter.period.end", ""},
      {"encounter_without_location", "Encounter", [](json& r) { r.erase("location"); },
       C::kRequired, "Encounter.location", ""},
      {"location_not_location", "Encounter",
       [](json& r) { Set(r, "/location/0/location/reference", "Organization/10000004"); },
       C::kValue, "Encounter.location[0].location.reference", ""},
      {"encounter_without_status_history", "Encounter", [](json& r) { r.erase("statusHistory"); },
       C::kRequired, "Encounter.statusHistory", ""},
      {"service_provider_other_org", "Encounter",
       [](json& r) { Set(r, "/serviceProvider/reference", "Organization/99999999"); }, C::kValue,
       "Encounter.serviceProvider.reference", "10117"},
      {"encounter_without_service_provider", "Encounter",
       [](json& r) { r.erase("serviceProvider"); }, C::kRequired, "Encounter.serviceProvider", ""},
      // Observation
      {"observation_without_status", "Observation", [](json& r) { r.erase("status"); },
       C::kRequired, "Observation.status", ""},
      {"observation_without_category", "Observation", [](json& r) { r.erase("category"); },
       C::kRequired, "Observation.category", ""},
      {"observation_not_loinc", "Observation",
       [](json& r) { Set(r, "/code/coding/0/system", "http://snomed.info/sct"); }, C::kRequired,
       "Observation.code.coding", ""},
      {"observation_loinc_without_code", "Observation",
       [](json& r) { Erase(r, "/code/coding/0/code"); }, C::kRequired,
       "Observation.code.coding.code", ""},
      {"observation_not_ucum", "Observation",
       [](json& r) { Set(r, "/valueQuantity/system", "http://example.org/units"); }, C::kValue,
       "Observation.valueQuantity.system", ""},
      {"observation_value_text", "Observation",
       [](json& r) { Set(r, "/valueQuantity/value", "150"); }, C::kInvalid,
       "Observation.valueQuantity.value", ""},
      {"observation_without_value", "Observation", [](json& r) { r.erase("valueQuantity"); },
       C::kRequired, "Observation.value[x]", ""},
      {"observation_without_encounter", "Observation", [](json& r) { r.erase("encounter"); },
       C::kRequired, "Observation.encounter", ""},
      {"observation_without_effective", "Observation",
       [](json& r) { r.erase("effectiveDateTime"); }, C::kRequired, "Observation.effectiveDateTime",
       ""},
      // Condition
      {"condition_not_icd10", "Condition",
       [](json& r) { Set(r, "/code/coding/0/system", "http://hl7.org/fhir/sid/icd-9-cm"); },
       C::kRequired, "Condition.code.coding", ""},
      {"condition_malformed_icd10", "Condition",
       [](json& r) { Set(r, "/code/coding/0/code", "hypertension"); }, C::kValue,
       "Condition.code.coding[0].code", ""},
      {"condition_without_category", "Condition", [](json& r) { r.erase("category"); },
       C::kRequired, "Condition.category", ""},
      {"condition_without_encounter", "Condition", [](json& r) { r.erase("encounter"); },
       C::kRequired, "Condition.encounter", ""},
      // Medication
      {"medication_not_kfa", "Medication",
       [](json& r) { Set(r, "/code/coding/0/system", "http://www.whocc.no/atc"); }, C::kRequired,
       "Medication.code.coding", ""},
      {"medication_bad_kfa", "Medication",
       [](json& r) { Set(r, "/code/coding/0/code", "12345678"); }, C::kValue,
       "Medication.code.coding.code", ""},
      {"medication_without_type", "Medication", [](json& r) { r.erase("extension"); }, C::kRequired,
       "Medication.extension", ""},
      {"medication_type_unknown", "Medication",
       [](json& r) { Set(r, "/extension/0/valueCodeableConcept/coding/0/code", "XX"); }, C::kValue,
       "Medication.extension.valueCodeableConcept", ""},
      {"medication_type_missing_among_others", "Medication",
       [](json& r) { Set(r, "/extension/0/url", "https://example.org/other"); }, C::kRequired,
       "Medication.extension", ""},
      // MedicationDispense
      {"dispense_without_prescription", "MedicationDispense",
       [](json& r) { r["identifier"].erase(0); }, C::kRequired, "MedicationDispense.identifier",
       ""},
      {"dispense_without_item", "MedicationDispense", [](json& r) { r["identifier"].erase(1); },
       C::kRequired, "MedicationDispense.identifier", ""},
      {"dispense_bad_status", "MedicationDispense", [](json& r) { r["status"] = "given"; },
       C::kValue, "MedicationDispense.status", ""},
      {"dispense_missing_medication", "MedicationDispense",
       [](json& r) { Set(r, "/medicationReference/reference", "Medication/nope"); }, C::kValue,
       "MedicationDispense.medicationReference.reference", ""},
      {"dispense_without_context", "MedicationDispense", [](json& r) { r.erase("context"); },
       C::kRequired, "MedicationDispense.context", ""},
      // ServiceRequest
      {"referral_without_identifier", "ServiceRequest", [](json& r) { r.erase("identifier"); },
       C::kRequired, "ServiceRequest.identifier", ""},
      {"referral_bad_intent", "ServiceRequest", [](json& r) { r["intent"] = "referral"; },
       C::kValue, "ServiceRequest.intent", ""},
      {"referral_without_code", "ServiceRequest", [](json& r) { r.erase("code"); }, C::kRequired,
       "ServiceRequest.code", ""},
      {"referral_reason_not_icd10", "ServiceRequest",
       [](json& r) { Set(r, "/reasonCode/0/coding/0/code", "i10"); }, C::kValue,
       "ServiceRequest.reasonCode[0].coding[0].code", ""},
      {"referral_without_encounter", "ServiceRequest", [](json& r) { r.erase("encounter"); },
       C::kRequired, "ServiceRequest.encounter", ""},
      // the envelope
      {"wrong_resource_type", "Encounter", [](json& r) { r["resourceType"] = "Observation"; },
       C::kInvalid, "Encounter.resourceType", ""},
  };
}

class SandboxValidationBroken : public ::testing::TestWithParam<BrokenCase> {};

TEST_P(SandboxValidationBroken, NamesTheBrokenElement) {
  const BrokenCase& c = GetParam();
  json resource = Valid(c.type);
  c.breaks(resource);
  std::vector<Issue> issues = Validate(resource, c.type);
  bool found = false;
  for (const Issue& issue : issues) {
    if (issue.code == c.code && issue.expression == c.expression && issue.rule == c.rule)
      found = true;
  }
  EXPECT_TRUE(found) << "expected " << IssueCodeName(c.code) << " at " << c.expression << ", got:\n"
                     << Describe(issues);
}

INSTANTIATE_TEST_SUITE_P(Rules, SandboxValidationBroken, ::testing::ValuesIn(BrokenCases()),
                         [](const auto& info) { return info.param.name; });

TEST(SandboxValidation, RefusesNonObjectsAndReadOnlyTypes) {
  EXPECT_EQ(Validate(json::array(), "Encounter").at(0).code, IssueCode::kInvalid);
  json patient = {{"resourceType", "Patient"}};
  EXPECT_EQ(Validate(patient, "Patient").at(0).code, IssueCode::kNotSupported);
}

TEST(SandboxValidation, MistypedElementsAreIssuesNotExceptions) {
  json r = Valid("Encounter");
  r["subject"] = "Patient/P02478375538";
  r["participant"] = {{{"individual", 7}, {"type", "ATND"}}};
  r["class"] = json::array();
  r["location"] = {"Location/x"};
  r["serviceProvider"] = {{"reference", 10000004}};
  std::vector<Issue> issues;
  ASSERT_NO_THROW(issues = Validate(r, "Encounter"));
  EXPECT_GE(issues.size(), 4u) << Describe(issues);
}

TEST(SandboxValidation, OperationOutcomeCarriesCodeTextDiagnosticsAndExpression) {
  json outcome = OperationOutcome(
      {{IssueCode::kDuplicate, "Encounter.identifier", "already exists", "20002"}});
  EXPECT_EQ(outcome["resourceType"], "OperationOutcome");
  const json& issue = outcome["issue"][0];
  EXPECT_EQ(issue["severity"], "error");
  EXPECT_EQ(issue["code"], "duplicate");
  EXPECT_EQ(issue["details"]["text"], "already exists");
  EXPECT_EQ(issue["diagnostics"], "rule 20002: already exists");
  EXPECT_EQ(issue["expression"][0], "Encounter.identifier");
}

TEST(SandboxValidation, UtcDateTimes) {
  struct Row {
    const char* text;
    bool utc;
  };
  for (const Row& row : std::vector<Row>{{"2025-07-21T01:30:00+00:00", true},
                                         {"2025-07-21T01:30:00Z", true},
                                         {"2025-07-21T01:30:00.123Z", true},
                                         {"2025-07-21T08:30:00+07:00", false},
                                         {"2025-07-21T01:30:00-00:00", false},
                                         {"2025-07-21T01:30:00", false},
                                         {"2025-07-21", false},
                                         {"2025-02-30T01:30:00Z", false},
                                         {"", false}}) {
    EXPECT_EQ(IsUtcDateTime(row.text), row.utc) << row.text;
  }
}

TEST(SandboxValidation, Icd10Codes) {
  for (const char* good : {"I10", "E11.9", "R73.9", "O09.A", "Z00.00", "E11.65"})
    EXPECT_TRUE(IsIcd10Code(good)) << good;
  for (const char* bad : {"", "I1", "i10", "110", "I10.", "I10-9", "E11.12345", "hypertension"}) {
    EXPECT_FALSE(IsIcd10Code(bad)) << bad;
  }
}

TEST(SandboxValidation, KfaCodes) {
  for (const char* good : {"93001019", "94000123"}) EXPECT_TRUE(IsKfaCode(good)) << good;
  for (const char* bad : {"", "9300101", "930010190", "92001019", "9300101a", "12345678"}) {
    EXPECT_FALSE(IsKfaCode(bad)) << bad;
  }
}

TEST(SandboxValidation, SysIdsSystems) {
  auto parsed = ParseSysIdsSystem("http://sys-ids.kemkes.go.id/prescription-item/10000004");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->kind, "prescription-item");
  EXPECT_EQ(parsed->org_id, "10000004");
  EXPECT_FALSE(ParseSysIdsSystem("http://sys-ids.kemkes.go.id/kfa").has_value());
  EXPECT_FALSE(ParseSysIdsSystem("https://fhir.kemkes.go.id/id/nik").has_value());
  EXPECT_FALSE(ParseSysIdsSystem("http://sys-ids.kemkes.go.id/encounter/").has_value());
}

TEST(SandboxValidation, UniqueIdentifierPerType) {
  auto enc = UniqueIdentifier(Valid("Encounter"), "Encounter", fx::kOrg);
  ASSERT_TRUE(enc.has_value());
  EXPECT_EQ(enc->first, fx::Sys("encounter"));
  EXPECT_EQ(enc->second, "visit-1");
  // Dispenses of one prescription share its identifier; the item identifier is the unique one.
  auto dispense = UniqueIdentifier(Valid("MedicationDispense"), "MedicationDispense", fx::kOrg);
  ASSERT_TRUE(dispense.has_value());
  EXPECT_EQ(dispense->first, fx::Sys("prescription-item"));
  EXPECT_EQ(dispense->second, "rx-1-1");
  json without = Valid("Condition");
  without.erase("identifier");
  EXPECT_FALSE(UniqueIdentifier(without, "Condition", fx::kOrg).has_value());
}

}  // namespace
}  // namespace klinik::sandbox
