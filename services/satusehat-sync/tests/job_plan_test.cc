// Which jobs each fact becomes and what each waits for: Observations and Conditions wait for
// their Encounter, the finished Encounter for its Conditions, a dispense for its Encounter and
// Medication, a referral's update for its creation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "job_plan.h"

namespace satusehat_sync {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

constexpr const char* kId = "5f0c8a8e-4d47-4b3e-9f55-0d6c2b7a1e01";

JobKey Key(std::string_view k, std::string ref) { return {std::string(k), std::move(ref)}; }

TEST(PlanScreening, EncounterObservationsConditionsThenTheFinish) {
  klinik::v1::ScreeningCompleted s;
  s.set_screening_id(kId);
  s.mutable_measurements()->set_systolic_mmhg(150);
  s.mutable_measurements()->set_diastolic_mmhg(95);
  auto* f = s.add_findings();
  f->set_icd10("I10");
  f->set_is_diagnosis(true);
  auto* g = s.add_findings();
  g->set_icd10("E66.9");
  g->set_is_diagnosis(false);

  auto jobs = PlanScreening(s);
  ASSERT_EQ(jobs.size(), 5u);
  const JobKey encounter = Key(kind::kEncounter, kId);
  EXPECT_EQ(jobs[0].key, encounter);
  EXPECT_EQ(jobs[0].resource_type, "Encounter");
  EXPECT_EQ(jobs[0].action, "create");
  EXPECT_TRUE(jobs[0].depends_on.empty());

  EXPECT_EQ(jobs[1].key, Key(kind::kObservation, std::string(kId) + "-8480-6"));
  EXPECT_EQ(jobs[1].detail, "8480-6");
  EXPECT_THAT(jobs[1].depends_on, ElementsAre(encounter));
  EXPECT_EQ(jobs[2].key, Key(kind::kObservation, std::string(kId) + "-8462-4"));

  EXPECT_EQ(jobs[3].key, Key(kind::kCondition, std::string(kId) + "-I10"));
  EXPECT_EQ(jobs[3].resource_type, "Condition");
  EXPECT_THAT(jobs[3].depends_on, ElementsAre(encounter));

  EXPECT_EQ(jobs[4].key, Key(kind::kEncounterFinish, kId));
  EXPECT_EQ(jobs[4].action, "update");
  EXPECT_THAT(jobs[4].depends_on,
              UnorderedElementsAre(encounter, Key(kind::kCondition, std::string(kId) + "-I10")));
}

TEST(PlanDispensing, OneMedicationAndDispensePerLine) {
  klinik::v1::MedicationDispensed d;
  d.set_request_id("req-9");
  d.set_prescription_id("RX-1");
  d.add_lines()->set_line_no(1);
  d.add_lines()->set_line_no(2);
  auto jobs = PlanDispensing(d);
  ASSERT_EQ(jobs.size(), 6u);
  EXPECT_EQ(jobs[0].key, Key(kind::kEncounter, "req-9"));
  EXPECT_EQ(jobs[1].key, Key(kind::kMedication, "RX-1-1"));
  EXPECT_TRUE(jobs[1].depends_on.empty()) << "a Medication references nobody";
  EXPECT_EQ(jobs[2].key, Key(kind::kMedicationDispense, "RX-1-1"));
  EXPECT_THAT(jobs[2].depends_on, UnorderedElementsAre(Key(kind::kEncounter, "req-9"),
                                                       Key(kind::kMedication, "RX-1-1")));
  EXPECT_EQ(jobs[4].key, Key(kind::kMedicationDispense, "RX-1-2"));
  EXPECT_EQ(jobs[5].key, Key(kind::kEncounterFinish, "req-9"));
  EXPECT_THAT(jobs[5].depends_on, UnorderedElementsAre(Key(kind::kEncounter, "req-9"),
                                                       Key(kind::kMedicationDispense, "RX-1-1"),
                                                       Key(kind::kMedicationDispense, "RX-1-2")));
}

TEST(PlanReferral, CreateThenAnUpdateThatWaitsForIt) {
  klinik::v1::ReferralCreated r;
  r.set_referral_id("ref-1");
  auto created = PlanReferralCreated(r);
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].key, Key(kind::kServiceRequest, "ref-1"));
  EXPECT_EQ(created[0].action, "create");
  EXPECT_TRUE(created[0].depends_on.empty()) << "no screening: nothing to wait for";
  r.set_source_screening_id(kId);
  EXPECT_THAT(PlanReferralCreated(r)[0].depends_on, ElementsAre(Key(kind::kEncounter, kId)));
  auto ended = PlanReferralEnded("ref-1", "completed");
  ASSERT_EQ(ended.size(), 1u);
  EXPECT_EQ(ended[0].key, Key(kind::kServiceRequestUpdate, "ref-1"));
  EXPECT_EQ(ended[0].detail, "completed");
  EXPECT_THAT(ended[0].depends_on, ElementsAre(Key(kind::kServiceRequest, "ref-1")));
}

TEST(PlanPatient, ALookupByNik) {
  klinik::v1::PatientRegistered p;
  p.set_patient_id("pat-1");
  auto jobs = PlanPatient(p);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].key, Key(kind::kPatient, "pat-1"));
  EXPECT_EQ(jobs[0].action, "lookup");
  EXPECT_EQ(jobs[0].resource_type, "Patient");
}

}  // namespace
}  // namespace satusehat_sync
