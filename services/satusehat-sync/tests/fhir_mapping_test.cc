// Every FHIR resource the service sends, checked field by field against SATUSEHAT.md
// ("Resources we send"): identifier systems with the client's org id, code systems and codes,
// UCUM units, references, and UTC timestamps with an explicit "+00:00" offset.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fhir_mapping.h"
#include "klinik/time_util.h"

namespace satusehat_sync::fhir {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

const FhirSite kSite{"10000004", "b017aa54-f1df-4ec2-9d84-8823815d7228"};
const PeopleRefs kPeople{"P02478375538", "N10000001"};
constexpr const char* kScreeningId = "5f0c8a8e-4d47-4b3e-9f55-0d6c2b7a1e01";

google::protobuf::Timestamp At(const char* rfc3339) {
  std::optional<klinik::TimePoint> t = klinik::ParseRfc3339(rfc3339);
  EXPECT_TRUE(t.has_value()) << rfc3339;
  return klinik::ToTimestamp(t.value_or(klinik::TimePoint()));
}

klinik::v1::ScreeningCompleted Screening() {
  klinik::v1::ScreeningCompleted s;
  s.set_screening_id(kScreeningId);
  s.set_patient_id("0b6c3a84-1f39-4e0c-8e5c-5b1d9a3f2c10");
  s.set_examiner_id("3201014501900001");
  *s.mutable_measured_at() = At("2025-07-21T01:30:00Z");
  *s.mutable_completed_at() = At("2025-07-21T01:42:10Z");
  auto* m = s.mutable_measurements();
  m->set_systolic_mmhg(162);
  m->set_diastolic_mmhg(101);
  m->set_heart_rate_bpm(88);
  m->set_weight_kg(72.5);
  m->set_height_cm(160);
  m->set_bmi_kg_m2(28.3);
  m->set_waist_cm(95);
  m->set_glucose_mg_dl(210);
  m->set_glucose_kind(klinik::v1::GLUCOSE_KIND_RANDOM);
  m->set_total_cholesterol_mg_dl(245);
  m->set_hba1c_percent(7.1);
  m->set_uric_acid_mg_dl(8.2);
  auto* f = s.add_findings();
  f->set_code("HYPERTENSION_GRADE_2");
  f->set_display("Hipertensi derajat 2");
  f->set_icd10("I10");
  f->set_is_diagnosis(true);
  f = s.add_findings();
  f->set_code("OBESE");
  f->set_display("Obesitas");
  f->set_icd10("E66.9");
  f->set_is_diagnosis(false);  // a finding, not a diagnosis: not sent
  f = s.add_findings();
  f->set_code("DIABETES_SUSPECTED");
  f->set_display("Suspek diabetes");
  f->set_icd10("R73.9");
  f->set_is_diagnosis(true);
  f = s.add_findings();
  f->set_code("HYPERTENSION_DUPLICATE");
  f->set_icd10("I10");
  f->set_is_diagnosis(true);  // same ICD-10 again: one Condition per code
  return s;
}

TEST(FhirIdentifiers, SystemCarriesKindAndTheClientsOrgId) {
  EXPECT_EQ(IdentifierSystem(kSite, "encounter"), "http://sys-ids.kemkes.go.id/encounter/10000004");
  EXPECT_EQ(IdentifierSystem(kSite, "prescription-item"),
            "http://sys-ids.kemkes.go.id/prescription-item/10000004");
}

TEST(FhirEncounter, ArrivedHasEveryRequiredField) {
  json e = EncounterArrived(kSite, ScreeningVisit(Screening()), kPeople);
  EXPECT_EQ(e["resourceType"], "Encounter");
  EXPECT_FALSE(e.contains("id"));
  EXPECT_EQ(e["identifier"],
            json::parse(R"([{"system":"http://sys-ids.kemkes.go.id/encounter/10000004",
                                             "value":"5f0c8a8e-4d47-4b3e-9f55-0d6c2b7a1e01"}])"));
  EXPECT_EQ(e["status"], "arrived");
  EXPECT_EQ(e["class"]["system"], "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  EXPECT_EQ(e["class"]["code"], "AMB");
  EXPECT_EQ(e["subject"]["reference"], "Patient/P02478375538");
  ASSERT_EQ(e["participant"].size(), 1u);
  EXPECT_EQ(e["participant"][0]["type"][0]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/v3-ParticipationType");
  EXPECT_EQ(e["participant"][0]["type"][0]["coding"][0]["code"], "ATND");
  EXPECT_EQ(e["participant"][0]["individual"]["reference"], "Practitioner/N10000001");
  EXPECT_EQ(e["period"], json::parse(R"({"start":"2025-07-21T01:30:00+00:00"})"));
  EXPECT_EQ(e["location"][0]["location"]["reference"],
            "Location/b017aa54-f1df-4ec2-9d84-8823815d7228");
  EXPECT_EQ(e["serviceProvider"]["reference"], "Organization/10000004");
  EXPECT_EQ(
      e["statusHistory"],
      json::parse(R"([{"status":"arrived","period":{"start":"2025-07-21T01:30:00+00:00"}}])"));
  EXPECT_FALSE(e.contains("diagnosis"));
}

TEST(FhirEncounter, FinishedIsTheWholeResourceWithIdEndHistoryAndDiagnoses) {
  json e = EncounterFinished(kSite, ScreeningVisit(Screening()), kPeople, "enc-1",
                             {{"cond-a", "I10", "Hipertensi derajat 2"}, {"cond-b", "R73.9", ""}});
  EXPECT_EQ(e["id"], "enc-1");
  EXPECT_EQ(e["status"], "finished");
  EXPECT_EQ(e["identifier"][0]["value"], kScreeningId);
  EXPECT_EQ(e["subject"]["reference"], "Patient/P02478375538");
  EXPECT_EQ(e["serviceProvider"]["reference"], "Organization/10000004");
  EXPECT_EQ(e["period"]["start"], "2025-07-21T01:30:00+00:00");
  EXPECT_EQ(e["period"]["end"], "2025-07-21T01:42:10+00:00");
  ASSERT_EQ(e["statusHistory"].size(), 3u);
  EXPECT_EQ(e["statusHistory"][0]["status"], "arrived");
  EXPECT_EQ(e["statusHistory"][1]["status"], "in-progress");
  EXPECT_EQ(e["statusHistory"][2]["status"], "finished");
  EXPECT_EQ(e["statusHistory"][2]["period"]["end"], "2025-07-21T01:42:10+00:00");
  ASSERT_EQ(e["diagnosis"].size(), 2u);
  EXPECT_EQ(e["diagnosis"][0]["condition"]["reference"], "Condition/cond-a");
  EXPECT_EQ(e["diagnosis"][0]["condition"]["display"], "Hipertensi derajat 2");
  EXPECT_EQ(e["diagnosis"][0]["rank"], 1);
  EXPECT_EQ(e["diagnosis"][0]["use"]["coding"][0]["code"], "DD");
  EXPECT_EQ(e["diagnosis"][1]["condition"]["reference"], "Condition/cond-b");
  EXPECT_EQ(e["diagnosis"][1]["rank"], 2);
}

TEST(FhirEncounter, EndNeverPrecedesStartWhenTheClockWasSkewed) {
  auto s = Screening();
  *s.mutable_completed_at() = At("2025-07-21T01:00:00Z");
  Visit v = ScreeningVisit(s);
  EXPECT_EQ(v.end, v.start);
  json e = EncounterFinished(kSite, v, kPeople, "enc-1", {});
  EXPECT_EQ(e["period"]["end"], "2025-07-21T01:30:00+00:00");
  EXPECT_FALSE(e.contains("diagnosis"));
}

TEST(FhirEncounter, DispensingVisitUsesTheRequestIdAndHandOverTime) {
  klinik::v1::MedicationDispensed d;
  d.set_request_id("disp-req-1");
  *d.mutable_dispensed_at() = At("2025-07-21T03:00:00Z");
  json e = EncounterArrived(kSite, DispensingVisit(d), kPeople);
  EXPECT_EQ(e["identifier"][0]["value"], "disp-req-1");
  EXPECT_EQ(e["period"]["start"], "2025-07-21T03:00:00+00:00");
}

struct ExpectedObservation {
  std::string loinc;
  std::string ucum;
  json value;
};

TEST(FhirObservation, MeasuredValuesUseTheLoincAndUcumOfTheTable) {
  std::vector<ExpectedObservation> expected = {
      {"8480-6", "mm[Hg]", 162}, {"8462-4", "mm[Hg]", 101},  {"8867-4", "/min", 88},
      {"29463-7", "kg", 72.5},   {"8302-2", "cm", 160.0},    {"39156-5", "kg/m2", 28.3},
      {"8280-0", "cm", 95.0},    {"2345-7", "mg/dL", 210.0}, {"2093-3", "mg/dL", 245.0},
  };
  auto values = MeasuredValues(Screening());
  ASSERT_EQ(values.size(), expected.size()) << "HbA1c and uric acid have no code in SATUSEHAT.md";
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(values[i].loinc, expected[i].loinc);
    EXPECT_EQ(values[i].ucum, expected[i].ucum) << expected[i].loinc;
    EXPECT_EQ(values[i].value, expected[i].value) << expected[i].loinc;
  }
}

TEST(FhirObservation, GlucoseCodeFollowsTheKindAndTwoHourGlucoseIsNotSent) {
  struct Case {
    klinik::v1::GlucoseKind kind;
    std::optional<std::string> loinc;
  };
  for (const Case& c :
       std::vector<Case>{{klinik::v1::GLUCOSE_KIND_FASTING, "1558-6"},
                         {klinik::v1::GLUCOSE_KIND_RANDOM, "2345-7"},
                         {klinik::v1::GLUCOSE_KIND_TWO_HOUR_POST_LOAD, std::nullopt}}) {
    klinik::v1::ScreeningCompleted s;
    s.mutable_measurements()->set_glucose_mg_dl(99);
    s.mutable_measurements()->set_glucose_kind(c.kind);
    auto values = MeasuredValues(s);
    if (c.loinc) {
      ASSERT_EQ(values.size(), 1u);
      EXPECT_EQ(values[0].loinc, *c.loinc);
      EXPECT_EQ(values[0].ucum, "mg/dL");
    } else {
      EXPECT_TRUE(values.empty());
    }
  }
}

TEST(FhirObservation, BmiFallsBackToTheClassificationAndAbsentValuesAreNotSent) {
  klinik::v1::ScreeningCompleted s;
  s.mutable_classification()->set_bmi_kg_m2(22.5);
  auto values = MeasuredValues(s);
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0].loinc, "39156-5");
  EXPECT_EQ(values[0].value, 22.5);
  EXPECT_TRUE(MeasuredValues(klinik::v1::ScreeningCompleted()).empty());
}

TEST(FhirObservation, ResourceHasEveryRequiredField) {
  auto s = Screening();
  json o = Observation(kSite, s, MeasuredValues(s)[0], "P02478375538", "enc-1");
  EXPECT_EQ(o["resourceType"], "Observation");
  EXPECT_EQ(o["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/observation/10000004");
  EXPECT_EQ(o["identifier"][0]["value"], std::string(kScreeningId) + "-8480-6");
  EXPECT_EQ(o["status"], "final");
  EXPECT_EQ(o["category"][0]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/observation-category");
  EXPECT_EQ(o["category"][0]["coding"][0]["code"], "vital-signs");
  EXPECT_EQ(o["code"]["coding"][0]["system"], "http://loinc.org");
  EXPECT_EQ(o["code"]["coding"][0]["code"], "8480-6");
  EXPECT_EQ(o["subject"]["reference"], "Patient/P02478375538");
  EXPECT_EQ(o["encounter"]["reference"], "Encounter/enc-1");
  EXPECT_EQ(o["effectiveDateTime"], "2025-07-21T01:30:00+00:00");
  EXPECT_EQ(
      o["valueQuantity"],
      json::parse(
          R"({"value":162,"unit":"mm[Hg]","system":"http://unitsofmeasure.org","code":"mm[Hg]"})"));
}

TEST(FhirCondition, OnlyDiagnosesWithIcd10OncePerCodeInScreeningOrder) {
  auto d = Diagnoses(Screening());
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].icd10(), "I10");
  EXPECT_EQ(d[1].icd10(), "R73.9");
}

TEST(FhirCondition, ResourceHasEveryRequiredField) {
  auto s = Screening();
  json c = Condition(kSite, s, Diagnoses(s)[0], "P02478375538", "enc-1");
  EXPECT_EQ(c["resourceType"], "Condition");
  EXPECT_EQ(c["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/condition/10000004");
  EXPECT_EQ(c["identifier"][0]["value"], std::string(kScreeningId) + "-I10");
  EXPECT_EQ(c["category"][0]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/condition-category");
  EXPECT_EQ(c["category"][0]["coding"][0]["code"], "encounter-diagnosis");
  EXPECT_EQ(c["clinicalStatus"]["coding"][0]["code"], "active");
  EXPECT_EQ(c["code"]["coding"][0],
            json::parse(R"({"system":"http://hl7.org/fhir/sid/icd-10","code":"I10",
                                                    "display":"Hipertensi derajat 2"})"));
  EXPECT_EQ(c["subject"]["reference"], "Patient/P02478375538");
  EXPECT_EQ(c["encounter"]["reference"], "Encounter/enc-1");
  EXPECT_EQ(c["recordedDate"], "2025-07-21T01:30:00+00:00");
}

klinik::v1::MedicationDispensed Dispensed() {
  klinik::v1::MedicationDispensed d;
  d.set_request_id("disp-req-1");
  d.set_patient_id("0b6c3a84-1f39-4e0c-8e5c-5b1d9a3f2c10");
  d.set_prescription_id("RX-2025-0042");
  d.set_dispensed_by("3201014501900002");
  *d.mutable_dispensed_at() = At("2025-07-21T03:00:00Z");
  auto* l = d.add_lines();
  l->set_line_no(2);
  l->set_item_code("93000123");
  l->set_quantity(30);
  l->set_dosage_text("3x1 tablet sesudah makan");
  return d;
}

TEST(FhirMedication, KfaCodeAndNotCompoundedMedicationType) {
  auto d = Dispensed();
  json m = Medication(kSite, d, d.lines(0));
  EXPECT_EQ(m["resourceType"], "Medication");
  EXPECT_EQ(m["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/medication/10000004");
  EXPECT_EQ(m["identifier"][0]["value"], "RX-2025-0042-2");
  EXPECT_EQ(m["code"]["coding"][0]["system"], "http://sys-ids.kemkes.go.id/kfa");
  EXPECT_EQ(m["code"]["coding"][0]["code"], "93000123");
  ASSERT_EQ(m["extension"].size(), 1u);
  EXPECT_EQ(m["extension"][0]["url"],
            "https://fhir.kemkes.go.id/r4/StructureDefinition/MedicationType");
  EXPECT_EQ(m["extension"][0]["valueCodeableConcept"]["coding"][0]["system"],
            "http://terminology.kemkes.go.id/CodeSystem/medication-type");
  EXPECT_EQ(m["extension"][0]["valueCodeableConcept"]["coding"][0]["code"], "NC");
}

TEST(FhirMedicationDispense, ResourceHasEveryRequiredField) {
  auto d = Dispensed();
  json m = MedicationDispense(kSite, d, d.lines(0), {"P1", "N1"}, "med-1", "enc-9");
  EXPECT_EQ(m["resourceType"], "MedicationDispense");
  EXPECT_EQ(m["status"], "completed");
  EXPECT_EQ(m["identifier"], json::parse(R"([
      {"system":"http://sys-ids.kemkes.go.id/prescription/10000004","value":"RX-2025-0042"},
      {"system":"http://sys-ids.kemkes.go.id/prescription-item/10000004","value":"RX-2025-0042-2"}])"));
  EXPECT_EQ(m["category"]["coding"][0]["code"], "outpatient");
  EXPECT_EQ(m["medicationReference"]["reference"], "Medication/med-1");
  EXPECT_EQ(m["subject"]["reference"], "Patient/P1");
  EXPECT_EQ(m["context"]["reference"], "Encounter/enc-9");
  EXPECT_EQ(m["performer"][0]["actor"]["reference"], "Practitioner/N1");
  EXPECT_EQ(m["quantity"]["value"], 30);
  EXPECT_EQ(m["whenHandedOver"], "2025-07-21T03:00:00+00:00");
  EXPECT_EQ(m["dosageInstruction"][0]["text"], "3x1 tablet sesudah makan");
}

klinik::v1::ReferralCreated Referral() {
  klinik::v1::ReferralCreated r;
  r.set_referral_id("7d1e8f7a-2f7c-4c55-9a59-5e9f8a1b2c3d");
  r.set_patient_id("0b6c3a84-1f39-4e0c-8e5c-5b1d9a3f2c10");
  r.set_target_facility_kind(klinik::v1::FACILITY_KIND_HOSPITAL);
  r.set_urgency(klinik::v1::URGENCY_URGENT);
  r.add_icd10("I10");
  r.add_icd10("R73.9");
  r.set_requested_by("3201014501900001");
  *r.mutable_requested_at() = At("2025-07-21T01:45:00Z");
  return r;
}

TEST(FhirServiceRequest, CreatedReferralHasEveryRequiredField) {
  json s = ServiceRequest(kSite, Referral(), kPeople, "enc-1", "active");
  EXPECT_EQ(s["resourceType"], "ServiceRequest");
  EXPECT_FALSE(s.contains("id"));
  EXPECT_EQ(s["identifier"][0]["system"], "http://sys-ids.kemkes.go.id/servicerequest/10000004");
  EXPECT_EQ(s["identifier"][0]["value"], "7d1e8f7a-2f7c-4c55-9a59-5e9f8a1b2c3d");
  EXPECT_EQ(s["status"], "active");
  EXPECT_EQ(s["intent"], "order");
  EXPECT_EQ(s["priority"], "urgent");
  EXPECT_EQ(s["code"]["coding"][0]["system"], "http://snomed.info/sct");
  EXPECT_EQ(s["code"]["coding"][0]["code"], "3457005");
  EXPECT_EQ(s["subject"]["reference"], "Patient/P02478375538");
  EXPECT_EQ(s["encounter"]["reference"], "Encounter/enc-1");
  EXPECT_EQ(s["requester"]["reference"], "Practitioner/N10000001");
  ASSERT_EQ(s["reasonCode"].size(), 2u);
  EXPECT_EQ(s["reasonCode"][1]["coding"][0]["system"], "http://hl7.org/fhir/sid/icd-10");
  EXPECT_EQ(s["reasonCode"][1]["coding"][0]["code"], "R73.9");
  EXPECT_EQ(s["locationCode"][0]["coding"][0]["system"],
            "http://terminology.hl7.org/CodeSystem/v3-RoleCode");
  EXPECT_EQ(s["locationCode"][0]["coding"][0]["code"], "HOSP");
  EXPECT_EQ(s["authoredOn"], "2025-07-21T01:45:00+00:00");
}

TEST(FhirServiceRequest, UpdateCarriesIdAndStatusAndPuskesmasIsPrimaryCare) {
  auto r = Referral();
  r.set_target_facility_kind(klinik::v1::FACILITY_KIND_PUSKESMAS);
  r.set_urgency(klinik::v1::URGENCY_ROUTINE);
  json s = ServiceRequest(kSite, r, kPeople, "", "completed", "sr-1");
  EXPECT_EQ(s["id"], "sr-1");
  EXPECT_EQ(s["status"], "completed");
  EXPECT_EQ(s["priority"], "routine");
  EXPECT_FALSE(s.contains("encounter"));
  EXPECT_EQ(s["locationCode"][0]["coding"][0]["code"], "PC");
}

TEST(FhirOperationOutcome, DiagnosticsAreJoinedAndNikIsMasked) {
  json oo = json::parse(R"({"resourceType":"OperationOutcome","issue":[
      {"severity":"error","code":"invalid","diagnostics":"subject Patient/P1 unknown for NIK 3201014501900001",
       "expression":["Observation.subject"]},
      {"severity":"error","code":"required","details":{"text":"valueQuantity.system is required"}}]})");
  std::string d = OperationOutcomeDiagnostics(oo);
  EXPECT_THAT(d, HasSubstr("subject Patient/P1 unknown"));
  EXPECT_THAT(d, HasSubstr("[Observation.subject]"));
  EXPECT_THAT(d, HasSubstr("; valueQuantity.system is required"));
  EXPECT_THAT(d, ::testing::Not(HasSubstr("3201014501900001")));
  EXPECT_EQ(OperationOutcomeDiagnostics(json::parse(R"({"resourceType":"Bundle"})")), "");
}

TEST(FhirOperationOutcome, SuppressedIsRecognised) {
  EXPECT_TRUE(IsSuppressed(
      json::parse(R"({"resourceType":"OperationOutcome","issue":[{"code":"suppressed"}]})")));
  EXPECT_FALSE(IsSuppressed(
      json::parse(R"({"resourceType":"OperationOutcome","issue":[{"code":"invalid"}]})")));
  EXPECT_FALSE(IsSuppressed(json::parse(R"({"resourceType":"Encounter","id":"x"})")));
}

TEST(FhirSearch, FirstResultIdOrNoneForAnEmptySearchset) {
  EXPECT_EQ(
      FirstSearchResultId(json::parse(
          R"({"resourceType":"Bundle","type":"searchset","total":1,"entry":[{"resource":{"id":"P123"}}]})")),
      "P123");
  EXPECT_EQ(
      FirstSearchResultId(json::parse(R"({"resourceType":"Bundle","type":"searchset","total":0})")),
      std::nullopt);
  EXPECT_EQ(FirstSearchResultId(json::parse(R"({"fault":{"faultstring":"x"}})")), std::nullopt);
}

}  // namespace
}  // namespace satusehat_sync::fhir
