// IntakeHandler, store:: and GrpcService on a real SQLite database with an
// in-memory PatientLookup: what is stored, which fact is written to the outbox, and which
// HandleResult the processor gets, for every kind of outcome.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "grpc_patient_lookup.h"
#include "grpc_service.h"
#include "in_memory_lookup.h"
#include "intake_handler.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/topics.h"
#include "store.h"
#include "submission.h"
#include "test_infra.h"

namespace screening {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace klinik::v1;

const klinik::TimePoint kNow = *klinik::ParseRfc3339("2026-11-23T08:00:00Z");
const std::string kAdult = "11111111-1111-4111-8111-111111111111";
const std::string kChild = "22222222-2222-4222-8222-222222222222";
const std::string kAdultNik = "6472045505900001";

struct Fact {
  std::string key;
  std::string ce_type;
  ScreeningEvent event;
};

class HandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = klinik::Database::Open(klinik::testing::FreshSqliteDatabase(), 2);
    db_->Migrate("klinik_platform", klinik::PlatformMigrations());
    db_->Migrate("screening", store::Migrations());
    // Birthday 22 November: today (23 Nov) is inside the window.
    lookup_.Add({kAdult, {1980, 11, 22}, SEX_FEMALE}, kAdultNik);
    lookup_.Add({kChild, {2014, 11, 22}, SEX_MALE});
  }

  SubmitScreening Submission(const std::string& patient_id,
                             const std::string& request_id = klinik::NewUuid()) {
    SubmitScreening s;
    s.set_request_id(request_id);
    s.set_patient_id(patient_id);
    s.set_clinic_id("clinic-1");
    s.set_examiner_id("6472044101900001");
    *s.mutable_measured_at() = klinik::ToTimestamp(kNow - std::chrono::hours(1));
    s.mutable_measurements()->set_systolic_mmhg(165);
    s.mutable_measurements()->set_diastolic_mmhg(95);
    s.mutable_measurements()->set_weight_kg(80);
    s.mutable_measurements()->set_height_cm(160);
    return s;
  }

  klinik::HandleResult Handle(const SubmitScreening& s) {
    ScreeningIntake intake;
    *intake.mutable_submit_screening() = s;
    return HandleRaw(intake.SerializeAsString());
  }

  klinik::HandleResult HandleRaw(
      const std::string& value,
      const std::string& ce_type = "id.klinik.intake.submit_screening.v1") {
    klinik::ConsumedMessage m;
    m.topic = std::string(klinik::topics::kIntakeScreening);
    m.value = value;
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/test", "s");
    IntakeHandler handler(ScreeningClassifier(ScreeningRules{}), lookup_, std::chrono::hours(7),
                          metrics_, [] { return kNow; });
    std::optional<klinik::HandleResult> result;
    try {
      // Like the consume loop: metrics count only what committed.
      klinik::InOutboxTransaction(*db_, "/klinik/screening", [&](klinik::OutboxWriter& out) {
        result.emplace(handler.Handle(klinik::InboundEvent{m, ce}, out));
        if (result->kind() == klinik::HandleResult::Kind::kRetry)
          throw std::runtime_error("rollback");
      });
    } catch (const std::runtime_error&) {
    }
    return *result;
  }

  std::vector<Fact> Facts() {
    auto rows = db_->Read([](klinik::Transaction& tx) { return klinik::ReadOutbox(tx); });
    std::vector<Fact> out;
    for (const auto& r : rows) {
      EXPECT_EQ(r.message.topic, klinik::topics::kScreenings);
      Fact f;
      f.key = r.message.key;
      EXPECT_TRUE(f.event.ParseFromString(r.message.value));
      f.ce_type = klinik::FindHeader(r.message.headers, "ce_type").value_or("");
      out.push_back(std::move(f));
    }
    return out;
  }

  int64_t StoredCount() {
    return db_->Read([](klinik::Transaction& tx) {
      return tx.Query("SELECT COUNT(*) FROM screenings")[0].Int(0);
    });
  }

  std::unique_ptr<klinik::Database> db_;
  InMemoryLookup lookup_;
  klinik::Metrics registry_{"screening-test"};
  ServiceMetrics metrics_{registry_};
};

TEST_F(HandlerTest, SubmissionIsClassifiedStoredAndPublished) {
  SubmitScreening s = Submission(kAdult);
  s.set_screening_id("33333333-3333-4333-8333-333333333333");
  klinik::HandleResult r = Handle(s);
  EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kApplied) << r.detail();
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].key, kAdult);
  EXPECT_EQ(facts[0].ce_type, "id.klinik.screening.completed.v1");
  const ScreeningCompleted& c = facts[0].event.screening_completed();
  EXPECT_EQ(c.screening_id(), "33333333-3333-4333-8333-333333333333");
  EXPECT_EQ(c.age_years(), 46);
  EXPECT_EQ(c.sex(), SEX_FEMALE);
  EXPECT_TRUE(c.ckg_eligible());
  EXPECT_EQ(c.eligibility_reason(), "ELIGIBLE");
  EXPECT_EQ(c.classification().bp_category(), BP_CATEGORY_HYPERTENSION_GRADE_2);
  EXPECT_DOUBLE_EQ(c.classification().bmi_kg_m2(), 31.3);
  EXPECT_DOUBLE_EQ(c.measurements().bmi_kg_m2(), 31.3)
      << "computed BMI is added to the measurements";
  EXPECT_EQ(c.classification().bmi_category(), BMI_CATEGORY_OBESE);
  ASSERT_EQ(c.findings_size(), 2);
  EXPECT_EQ(c.findings(0).icd10(), "I10");
  EXPECT_EQ(c.findings(0).ilp_cluster(), ILP_CLUSTER_K3);
  EXPECT_TRUE(c.referral_recommended());
  EXPECT_EQ(c.referral_urgency(), URGENCY_ROUTINE);
  EXPECT_THAT(c.referral_reason_codes(), ElementsAre("HYPERTENSION_GRADE_2", "OBESE"));
  EXPECT_EQ(c.completed_at().seconds(), std::chrono::system_clock::to_time_t(kNow));

  // The stored record is what GetScreening serves, field for field.
  GrpcService service(*db_, lookup_, 30, [] { return kNow; });
  GetScreeningRequest req;
  req.set_screening_id(c.screening_id());
  GetScreeningResponse resp;
  ASSERT_TRUE(service.GetScreening(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.screening().patient_id(), kAdult);
  EXPECT_EQ(resp.screening().classification().SerializeAsString(),
            c.classification().SerializeAsString());
  EXPECT_EQ(resp.screening().findings_size(), 2);
  EXPECT_THAT(registry_.Render(), HasSubstr("klinik_screenings_total{outcome=\"completed\"} 1"));
  EXPECT_THAT(registry_.Render(), HasSubstr("klinik_ckg_eligibility_total{eligible=\"true\"} 1"));
  EXPECT_THAT(registry_.Render(),
              HasSubstr("klinik_referrals_recommended_total{urgency=\"routine\"} 1"));
}

TEST_F(HandlerTest, RejectionWithoutAnyPatientIdIsKeyedByRequest) {
  SubmitScreening s = Submission("", "req-no-patient");
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kRejected);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].key, "req-no-patient");
  EXPECT_EQ(facts[0].event.screening_rejected().reasons(0).code(), "PATIENT_ID_MISSING");
}

TEST_F(HandlerTest, UnknownPatientIsRejectedAndNothingStored) {
  klinik::HandleResult r =
      Handle(Submission("44444444-4444-4444-8444-444444444444", "req-unknown"));
  EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kRejected);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].ce_type, "id.klinik.screening.rejected.v1");
  const ScreeningRejected& rej = facts[0].event.screening_rejected();
  EXPECT_EQ(rej.request_id(), "req-unknown");
  ASSERT_EQ(rej.reasons_size(), 1);
  EXPECT_EQ(rej.reasons(0).code(), "PATIENT_UNKNOWN");
  EXPECT_EQ(rej.reasons(0).field(), "patient_id");
  EXPECT_EQ(StoredCount(), 0);
  EXPECT_THAT(registry_.Render(), HasSubstr("klinik_screenings_total{outcome=\"rejected\"} 1"));
}

// The consume loop prepares a batch first: every patient it names is looked up in one
// LookupMany (concurrent over gRPC), and handling the batch asks registration nothing more;
// an answer "unavailable" is not kept, so handling asks again.
TEST_F(HandlerTest, PrepareLooksUpTheBatchOnceAndHandleUsesItsAnswers) {
  IntakeHandler handler(ScreeningClassifier(ScreeningRules{}), lookup_, std::chrono::hours(7),
                        metrics_, [] { return kNow; });
  SubmitScreening by_nik = Submission("");
  by_nik.set_nik(kAdultNik);
  SubmitScreening implausible = Submission("33333333-3333-4333-8333-333333333333");
  implausible.mutable_measurements()->set_systolic_mmhg(900);
  std::vector<SubmitScreening> batch = {Submission(kAdult), Submission(kChild), Submission(kAdult),
                                        by_nik, implausible};
  std::vector<klinik::ConsumedMessage> messages;
  std::vector<klinik::CloudEvent> events;
  for (const SubmitScreening& s : batch) {
    ScreeningIntake intake;
    *intake.mutable_submit_screening() = s;
    klinik::ConsumedMessage m;
    m.topic = std::string(klinik::topics::kIntakeScreening);
    m.value = intake.SerializeAsString();
    messages.push_back(m);
    events.push_back(klinik::NewCloudEvent("id.klinik.intake.submit_screening.v1", "/test", "s"));
  }
  std::vector<klinik::InboundEvent> inbound;
  for (size_t i = 0; i < batch.size(); ++i) inbound.push_back({messages[i], events[i]});
  auto handle_all = [&] {
    std::vector<klinik::HandleResult::Kind> kinds;
    klinik::InOutboxTransaction(*db_, "/klinik/screening", [&](klinik::OutboxWriter& out) {
      for (const auto& e : inbound) kinds.push_back(handler.Handle(e, out).kind());
    });
    return kinds;
  };

  lookup_.SetUnavailable(true);
  handler.Prepare(inbound);
  EXPECT_EQ(lookup_.batches(), 1);
  lookup_.SetUnavailable(false);
  int before = lookup_.calls();
  handler.Prepare(inbound);
  EXPECT_EQ(lookup_.batches(), 2);
  EXPECT_EQ(lookup_.calls() - before, 3)
      << "three distinct patients (kAdult, kChild, the NIK); the implausible one is refused anyway";
  before = lookup_.calls();
  auto kinds = handle_all();
  EXPECT_EQ(lookup_.calls(), before) << "Handle asked registration again";
  EXPECT_THAT(
      kinds, ElementsAre(klinik::HandleResult::Kind::kApplied, klinik::HandleResult::Kind::kApplied,
                         klinik::HandleResult::Kind::kApplied, klinik::HandleResult::Kind::kApplied,
                         klinik::HandleResult::Kind::kRejected));
  EXPECT_EQ(StoredCount(), 4);

  // Prepared while registration was down: nothing kept, so Handle asks itself.
  lookup_.SetUnavailable(true);
  handler.Prepare(inbound);
  lookup_.SetUnavailable(false);
  ScreeningIntake again;
  *again.mutable_submit_screening() = Submission(kChild);
  messages[1].value = again.SerializeAsString();
  before = lookup_.calls();
  klinik::HandleResult::Kind kind{};
  klinik::InOutboxTransaction(*db_, "/klinik/screening", [&](klinik::OutboxWriter& out) {
    kind = handler.Handle(inbound[1], out).kind();
  });
  EXPECT_EQ(kind, klinik::HandleResult::Kind::kApplied);
  EXPECT_EQ(lookup_.calls() - before, 1);
  EXPECT_EQ(StoredCount(), 5);
}

TEST_F(HandlerTest, RegistrationDownMeansRetryWithNothingWritten) {
  lookup_.SetUnavailable(true);
  klinik::HandleResult r = Handle(Submission(kAdult));
  EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kRetry);
  EXPECT_THAT(r.detail(), HasSubstr("UNAVAILABLE"));
  EXPECT_TRUE(Facts().empty());
  EXPECT_EQ(StoredCount(), 0);
  lookup_.SetUnavailable(false);
  EXPECT_EQ(Handle(Submission(kAdult)).kind(), klinik::HandleResult::Kind::kApplied);
}

TEST_F(HandlerTest, ImplausibleValueIsRejectedWithoutAskingRegistration) {
  SubmitScreening s = Submission(kAdult);
  s.mutable_measurements()->set_systolic_mmhg(1650);
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kRejected);
  EXPECT_EQ(lookup_.calls(), 0);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].key, kAdult) << "keyed by the patient as submitted";
  const ScreeningRejected& rej = facts[0].event.screening_rejected();
  ASSERT_EQ(rej.reasons_size(), 1);
  EXPECT_EQ(rej.reasons(0).code(), "IMPLAUSIBLE_VALUE");
  EXPECT_EQ(rej.reasons(0).field(), "measurements.systolic_mmhg");
  EXPECT_EQ(StoredCount(), 0);
}

TEST_F(HandlerTest, ResubmittedScreeningIdPublishesNothingNew) {
  SubmitScreening s = Submission(kAdult);
  s.set_screening_id("55555555-5555-4555-8555-555555555555");
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kApplied);
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kIgnored);
  SubmitScreening no_id = Submission(kAdult, "req-same");
  EXPECT_EQ(Handle(no_id).kind(), klinik::HandleResult::Kind::kApplied);
  EXPECT_EQ(Handle(no_id).kind(), klinik::HandleResult::Kind::kIgnored)
      << "same clinic and request_id";
  EXPECT_EQ(Facts().size(), 2u);
  EXPECT_EQ(StoredCount(), 2);

  SubmitScreening other = Submission(kChild);
  other.set_screening_id("55555555-5555-4555-8555-555555555555");
  EXPECT_EQ(Handle(other).kind(), klinik::HandleResult::Kind::kRejected);
  EXPECT_EQ(Facts().back().event.screening_rejected().reasons(0).code(), "SCREENING_ID_CONFLICT");
}

TEST_F(HandlerTest, SecondScreeningInTheWindowIsRecordedButNotEligible) {
  EXPECT_EQ(Handle(Submission(kAdult)).kind(), klinik::HandleResult::Kind::kApplied);
  EXPECT_EQ(Handle(Submission(kAdult)).kind(), klinik::HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_TRUE(facts[0].event.screening_completed().ckg_eligible());
  EXPECT_FALSE(facts[1].event.screening_completed().ckg_eligible());
  EXPECT_EQ(facts[1].event.screening_completed().eligibility_reason(),
            "ALREADY_SCREENED_THIS_YEAR");
}

TEST_F(HandlerTest, SchoolAgeChildIsRecordedWithK2FindingsAndNotEligible) {
  SubmitScreening s = Submission(kChild);
  s.mutable_measurements()->set_tb_symptoms(true);
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  const ScreeningCompleted& c = facts[0].event.screening_completed();
  EXPECT_EQ(c.age_years(), 12);
  EXPECT_FALSE(c.ckg_eligible());
  EXPECT_EQ(c.eligibility_reason(), "AGE_7_TO_17_SCHOOL_PROGRAM");
  EXPECT_EQ(c.classification().bp_category(), BP_CATEGORY_UNSPECIFIED);
  ASSERT_EQ(c.findings_size(), 1);
  EXPECT_EQ(c.findings(0).code(), "TB_SYMPTOMS");
  EXPECT_EQ(c.findings(0).ilp_cluster(), ILP_CLUSTER_K2);
}

TEST_F(HandlerTest, PatientFoundByNikWhenNoIdIsGiven) {
  SubmitScreening s = Submission("");
  s.set_nik(kAdultNik);
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kApplied);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  EXPECT_EQ(facts[0].event.screening_completed().patient_id(), kAdult);
  EXPECT_EQ(facts[0].key, kAdult);
  s.set_nik("6472045505900002");
  s.set_request_id("req-unknown-nik");
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kRejected);
  EXPECT_EQ(Facts().back().event.screening_rejected().reasons(0).field(), "nik");
}

TEST_F(HandlerTest, LocalDayDecidesTheWindow) {
  // 21 Nov 17:30 UTC is 22 Nov 00:30 WIB: the birthday itself.
  SubmitScreening s = Submission(kAdult);
  *s.mutable_measured_at() = klinik::ToTimestamp(*klinik::ParseRfc3339("2026-11-21T17:30:00Z"));
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kApplied);
  EXPECT_TRUE(Facts().at(0).event.screening_completed().ckg_eligible());
  auto day = db_->Read([](klinik::Transaction& tx) {
    return tx.Query("SELECT local_date FROM screenings")[0].Text(0);
  });
  EXPECT_EQ(day, "2026-11-22");
}

TEST_F(HandlerTest, MeasuredBeforeBirthIsRejected) {
  SubmitScreening s = Submission(kChild);
  *s.mutable_measured_at() = klinik::ToTimestamp(*klinik::ParseRfc3339("2010-01-01T00:00:00Z"));
  EXPECT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kRejected);
  EXPECT_EQ(Facts().at(0).event.screening_rejected().reasons(0).code(), "MEASURED_BEFORE_BIRTH");
  EXPECT_EQ(Facts().at(0).key, kChild);
}

TEST_F(HandlerTest, UndecodableAndUnusableRecordsAreDeadLettered) {
  EXPECT_EQ(HandleRaw(std::string("\xff\xff\xff\xff\x0f", 5)).kind(),
            klinik::HandleResult::Kind::kDeadLetter);
  EXPECT_EQ(HandleRaw("").kind(), klinik::HandleResult::Kind::kDeadLetter) << "no kind set";
  lookup_.SetBadRecord(true);
  klinik::HandleResult r = Handle(Submission(kAdult));
  EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kDeadLetter);
  EXPECT_THAT(r.detail(), HasSubstr("bad record"));
  EXPECT_TRUE(Facts().empty());
}

// A submission labelled as another kind: a dead letter naming the header and the payload's
// kind; nothing stored, published or looked up. Rightly labelled, the same payload is applied.
TEST_F(HandlerTest, CeTypeMismatchIsDeadLetterAndChangesNothing) {
  ScreeningIntake intake;
  *intake.mutable_submit_screening() = Submission(kAdult);
  for (const std::string wrong :
       {"id.klinik.screening.completed.v1", "id.klinik.intake.register_patient.v1", ""}) {
    klinik::HandleResult r = HandleRaw(intake.SerializeAsString(), wrong);
    EXPECT_EQ(r.kind(), klinik::HandleResult::Kind::kDeadLetter) << wrong;
    EXPECT_EQ(r.detail(), "ce_type '" + wrong + "' does not match submit_screening");
  }
  EXPECT_TRUE(Facts().empty());
  EXPECT_EQ(StoredCount(), 0);
  EXPECT_EQ(lookup_.calls(), 0);
  EXPECT_EQ(HandleRaw(intake.SerializeAsString()).kind(), klinik::HandleResult::Kind::kApplied);
}

TEST_F(HandlerTest, ListScreeningsPagesNewestFirst) {
  for (int hour : {1, 3, 2}) {
    SubmitScreening s = Submission(kAdult);
    *s.mutable_measured_at() = klinik::ToTimestamp(kNow - std::chrono::hours(hour));
    s.set_request_id("req-h" + std::to_string(hour));
    ASSERT_EQ(Handle(s).kind(), klinik::HandleResult::Kind::kApplied);
  }
  GrpcService service(*db_, lookup_, 30, [] { return kNow; });
  ListScreeningsRequest req;
  req.set_patient_id(kAdult);
  req.set_page_size(2);
  ListScreeningsResponse first;
  ASSERT_TRUE(service.ListScreenings(nullptr, &req, &first).ok());
  ASSERT_EQ(first.screenings_size(), 2);
  EXPECT_EQ(first.screenings(0).request_id(), "req-h1");
  EXPECT_EQ(first.screenings(1).request_id(), "req-h2");
  ASSERT_FALSE(first.next_page_token().empty());
  req.set_page_token(first.next_page_token());
  ListScreeningsResponse second;
  ASSERT_TRUE(service.ListScreenings(nullptr, &req, &second).ok());
  ASSERT_EQ(second.screenings_size(), 1);
  EXPECT_EQ(second.screenings(0).request_id(), "req-h3");
  EXPECT_TRUE(second.next_page_token().empty());

  req.set_page_token("garbage");
  EXPECT_EQ(service.ListScreenings(nullptr, &req, &second).error_code(), grpc::INVALID_ARGUMENT);
  req.clear_page_token();
  req.set_page_size(101);
  EXPECT_EQ(service.ListScreenings(nullptr, &req, &second).error_code(), grpc::INVALID_ARGUMENT);
  req.set_patient_id("nope");
  req.set_page_size(0);
  EXPECT_EQ(service.ListScreenings(nullptr, &req, &second).error_code(), grpc::INVALID_ARGUMENT);
}

TEST_F(HandlerTest, CheckEligibilityAnswersWithTheWindow) {
  GrpcService service(*db_, lookup_, 30, [] { return kNow; });
  CheckEligibilityRequest req;
  req.set_patient_id(kAdult);
  CheckEligibilityResponse resp;
  ASSERT_TRUE(service.CheckEligibility(nullptr, &req, &resp).ok());  // today = 2026-11-23
  EXPECT_TRUE(resp.eligible());
  EXPECT_EQ(resp.reason(), "ELIGIBLE");
  EXPECT_EQ(resp.window_start(), "2026-11-22");
  EXPECT_EQ(resp.window_end(), "2026-12-22");

  req.set_date("2026-12-23");
  ASSERT_TRUE(service.CheckEligibility(nullptr, &req, &resp).ok());
  EXPECT_FALSE(resp.eligible());
  EXPECT_EQ(resp.reason(), "OUTSIDE_BIRTHDAY_WINDOW");

  ASSERT_EQ(Handle(Submission(kAdult)).kind(), klinik::HandleResult::Kind::kApplied);
  req.set_date("2026-12-01");
  ASSERT_TRUE(service.CheckEligibility(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.reason(), "ALREADY_SCREENED_THIS_YEAR");

  req.set_patient_id(kChild);
  resp.Clear();
  ASSERT_TRUE(service.CheckEligibility(nullptr, &req, &resp).ok());
  EXPECT_EQ(resp.reason(), "AGE_7_TO_17_SCHOOL_PROGRAM");
  EXPECT_TRUE(resp.window_start().empty());

  req.set_date("2026-13-01");
  EXPECT_EQ(service.CheckEligibility(nullptr, &req, &resp).error_code(), grpc::INVALID_ARGUMENT);
  req.set_date("");
  req.set_patient_id("66666666-6666-4666-8666-666666666666");
  EXPECT_EQ(service.CheckEligibility(nullptr, &req, &resp).error_code(), grpc::NOT_FOUND);
  lookup_.SetUnavailable(true);
  req.set_patient_id(kAdult);
  EXPECT_EQ(service.CheckEligibility(nullptr, &req, &resp).error_code(), grpc::UNAVAILABLE);
}

TEST_F(HandlerTest, GetScreeningStatusCodes) {
  GrpcService service(*db_, lookup_, 30, [] { return kNow; });
  GetScreeningRequest req;
  GetScreeningResponse resp;
  req.set_screening_id("x");
  EXPECT_EQ(service.GetScreening(nullptr, &req, &resp).error_code(), grpc::INVALID_ARGUMENT);
  req.set_screening_id("77777777-7777-4777-8777-777777777777");
  EXPECT_EQ(service.GetScreening(nullptr, &req, &resp).error_code(), grpc::NOT_FOUND);
}

TEST(LookupMapping, RegistrationAnswersMapToOutcomes) {
  Patient p;
  p.set_patient_id("11111111-1111-4111-8111-111111111111");
  p.set_birth_date("1990-05-10");
  p.set_sex(SEX_MALE);
  LookupResult found = ToLookupResult(grpc::Status::OK, p);
  EXPECT_EQ(found.status, LookupStatus::kFound);
  EXPECT_EQ(found.patient.birth_date, (klinik::CivilDate{1990, 5, 10}));
  EXPECT_EQ(ToLookupResult(grpc::Status(grpc::NOT_FOUND, ""), {}).status, LookupStatus::kNotFound);
  EXPECT_EQ(ToLookupResult(grpc::Status(grpc::UNAVAILABLE, ""), {}).status,
            LookupStatus::kUnavailable);
  EXPECT_EQ(ToLookupResult(grpc::Status(grpc::DEADLINE_EXCEEDED, ""), {}).status,
            LookupStatus::kUnavailable);
  p.set_birth_date("10-05-1990");
  EXPECT_EQ(ToLookupResult(grpc::Status::OK, p).status, LookupStatus::kBadRecord);
}

}  // namespace
}  // namespace screening

namespace screening {
namespace {

using namespace klinik::v1;

// WithdrawScreening: a screening entered in error is withdrawn once, stops counting as the
// patient's CKG screening, and ScreeningWithdrawn says so; anything else is refused.
class WithdrawalTest : public HandlerTest {
 protected:
  // A completed, CKG-eligible screening of the adult; its id.
  std::string Completed() {
    EXPECT_EQ(Handle(Submission(kAdult)).kind(), klinik::HandleResult::Kind::kApplied);
    return Facts().back().event.screening_completed().screening_id();
  }
  static WithdrawScreening Withdrawal(const std::string& screening_id,
                                      const std::string& patient_id = kAdult) {
    WithdrawScreening w;
    w.set_request_id(klinik::NewUuid());
    w.set_screening_id(screening_id);
    w.set_patient_id(patient_id);
    w.set_clinic_id("clinic-1");
    w.set_withdrawn_by("6472044101900001");
    w.set_reason("entered for the wrong resident");
    return w;
  }
  klinik::HandleResult Withdraw(const WithdrawScreening& w) {
    ScreeningIntake intake;
    *intake.mutable_withdraw_screening() = w;
    return HandleRaw(intake.SerializeAsString(), "id.klinik.intake.withdraw_screening.v1");
  }
  bool CountsAsCkg() {
    return db_->Read([](klinik::Transaction& tx) {
      return store::HasEligibleBetween(tx, kAdult, {2026, 1, 1}, {2026, 12, 31});
    });
  }
};

TEST_F(WithdrawalTest, WithdrawnScreeningIsMarkedStopsCountingAndIsPublishedOnce) {
  std::string id = Completed();
  ASSERT_TRUE(CountsAsCkg());
  WithdrawScreening w = Withdrawal(id);
  EXPECT_EQ(Withdraw(w).kind(), klinik::HandleResult::Kind::kApplied);

  auto facts = Facts();
  ASSERT_EQ(facts.size(), 2u);
  EXPECT_EQ(facts[1].ce_type, "id.klinik.screening.withdrawn.v1");
  EXPECT_EQ(facts[1].key, kAdult);
  const ScreeningWithdrawn& f = facts[1].event.screening_withdrawn();
  EXPECT_EQ(f.screening_id(), id);
  EXPECT_EQ(f.request_id(), w.request_id());
  EXPECT_EQ(f.withdrawn_by(), w.withdrawn_by());
  EXPECT_EQ(f.reason(), w.reason());
  EXPECT_EQ(klinik::FromTimestamp(f.withdrawn_at()), kNow);  // unset in the request: now
  EXPECT_FALSE(CountsAsCkg());
  auto stored = db_->Read([&](klinik::Transaction& tx) { return store::Get(tx, id); });
  ASSERT_TRUE(stored.has_value());
  EXPECT_TRUE(stored->has_withdrawn_at());

  // Withdrawn twice (an app re-sending): nothing more.
  EXPECT_EQ(Withdraw(Withdrawal(id)).kind(), klinik::HandleResult::Kind::kIgnored);
  EXPECT_EQ(Facts().size(), 2u);
}

TEST_F(WithdrawalTest, AnUnknownScreeningOrAnotherPatientsIsRefusedAndChangesNothing) {
  std::string id = Completed();
  EXPECT_EQ(Withdraw(Withdrawal(klinik::NewUuid())).kind(), klinik::HandleResult::Kind::kRejected);
  EXPECT_EQ(Withdraw(Withdrawal(id, kChild)).kind(), klinik::HandleResult::Kind::kRejected);
  auto facts = Facts();
  ASSERT_EQ(facts.size(), 3u);
  for (size_t i = 1; i < facts.size(); ++i) {
    EXPECT_EQ(facts[i].ce_type, "id.klinik.screening.rejected.v1");
    ASSERT_EQ(facts[i].event.screening_rejected().reasons_size(), 1);
    EXPECT_EQ(facts[i].event.screening_rejected().reasons(0).code(), "SCREENING_UNKNOWN");
  }
  EXPECT_TRUE(CountsAsCkg());
}

TEST_F(WithdrawalTest, AMalformedWithdrawalIsRefusedWithEveryReason) {
  WithdrawScreening w;
  w.set_screening_id("not-a-uuid");
  w.set_reason(std::string(201, 'x'));
  EXPECT_EQ(Withdraw(w).kind(), klinik::HandleResult::Kind::kRejected);
  std::vector<Fact> facts = Facts();
  ASSERT_EQ(facts.size(), 1u);
  std::vector<std::string> codes;
  for (const auto& r : facts[0].event.screening_rejected().reasons()) codes.push_back(r.code());
  EXPECT_THAT(codes, ElementsAre("REQUEST_ID_FORMAT", "SCREENING_ID_FORMAT", "PATIENT_ID_FORMAT",
                                 "CLINIC_ID_FORMAT", "WITHDRAWN_BY_FORMAT", "REASON_FORMAT"));
}

}  // namespace
}  // namespace screening
