// The handler, the SLA monitor, storage and the gRPC lookups in one process against both real
// databases, on a clock the test controls: joining and its database guard, re-sent requests,
// refusals and mislabelled (ce_type) messages that change nothing, overdue once, expiry, paging.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "grpc_service.h"
#include "klinik/event_types.h"
#include "klinik/outbox.h"
#include "klinik/topics.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/screening.pb.h"
#include "referral_facts.h"
#include "referral_handler.h"
#include "sla_monitor.h"
#include "store.h"
#include "test_infra.h"

namespace referral {
namespace {

constexpr const char* kScreeningCompleted = "id.klinik.screening.completed.v1";
constexpr const char* kScreeningRejected = "id.klinik.screening.rejected.v1";

namespace v1 = klinik::v1;
using namespace std::chrono_literals;
using ::testing::ElementsAre;

constexpr const char* kWorker = "3201010101900001";

struct Fact {
  std::string type;
  std::string key;
  v1::ReferralEvent event;
};

class ReferralStoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = klinik::testing::FreshDatabase(GetParam());
    db_ = klinik::Database::Open(url_, 2);
    db_->Migrate("klinik_platform", klinik::PlatformMigrations());
    db_->Migrate("referral", store::Migrations());
    config_.default_puskesmas_id = "pkm-default";
    config_.sla.urgent = 2h;
    config_.sla.routine = 72h;
    config_.sla.validity = 90 * 24h;
    handler_ = std::make_unique<ReferralHandler>(config_, Lifecycle(), metrics_);
    monitor_ = std::make_unique<SlaMonitor>(*db_, "/klinik/referral", Lifecycle(), metrics_);
  }

  ReferralLifecycle Lifecycle() {
    return ReferralLifecycle(config_.sla, [this] { return now_; });
  }

  // One event in its own transaction, as the consume loop runs it.
  klinik::HandleResult Deliver(const std::string& topic, const std::string& key,
                               const std::string& value, const std::string& ce_type) {
    klinik::ConsumedMessage m{topic, 0, next_offset_++, key, value, {}, 0};
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/test", key);
    return db_->InTransaction([&](klinik::Transaction& tx) {
      klinik::OutboxWriter out(tx, "/klinik/referral");
      return handler_->Handle(klinik::InboundEvent{m, ce}, out);
    });
  }

  // An intake request under its own ce_type.
  klinik::HandleResult::Kind Intake(const v1::ReferralIntake& intake,
                                    const std::string& key = kPatient) {
    return Deliver(std::string(klinik::topics::kIntakeReferral), key, intake.SerializeAsString(),
                   std::string(klinik::CeTypeOf(intake)))
        .kind();
  }

  // A screening fact under its own ce_type.
  klinik::HandleResult::Kind Screening(const v1::ScreeningEvent& e) {
    return Deliver(std::string(klinik::topics::kScreenings), kPatient, e.SerializeAsString(),
                   std::string(klinik::CeTypeOf(e)))
        .kind();
  }

  v1::ReferralIntake Request(const std::string& request_id, std::vector<std::string> reasons,
                             v1::Urgency urgency = v1::URGENCY_ROUTINE,
                             const std::string& target = "rs-1") {
    v1::ReferralIntake in;
    auto* r = in.mutable_request_referral();
    r->set_request_id(request_id);
    r->set_patient_id(kPatient);
    r->set_origin_clinic_id("clinic-1");
    r->set_target_facility_id(target);
    r->set_target_facility_kind(v1::FACILITY_KIND_HOSPITAL);
    r->set_direction(v1::REFERRAL_DIRECTION_VERTICAL);
    r->set_urgency(urgency);
    for (auto& c : reasons) r->add_reason_codes(c);
    r->set_requested_by(kWorker);
    *r->mutable_requested_at() = klinik::ToTimestampMillis(now_);
    return in;
  }

  v1::ReferralIntake Accept(const std::string& id, const std::string& req) {
    v1::ReferralIntake in;
    auto* a = in.mutable_accept_referral();
    a->set_referral_id(id);
    a->set_request_id(req);
    a->set_patient_id(kPatient);
    a->set_acted_by(kWorker);
    return in;
  }

  v1::ReferralIntake Complete(const std::string& id, const std::string& req) {
    v1::ReferralIntake in;
    auto* a = in.mutable_complete_referral();
    a->set_referral_id(id);
    a->set_request_id(req);
    a->set_patient_id(kPatient);
    a->set_acted_by(kWorker);
    a->set_back_referral_notes("stable");
    return in;
  }

  std::vector<Fact> Facts() {
    std::vector<Fact> out;
    db_->Read([&](klinik::Transaction& tx) {
      for (const auto& row : klinik::ReadOutbox(tx)) {
        Fact f;
        f.type = klinik::FindHeader(row.message.headers, "ce_type").value_or("");
        f.event.ParseFromString(row.message.value);
        f.key = row.message.key;
        out.push_back(std::move(f));
      }
    });
    return out;
  }

  std::vector<std::string> FactTypes() {
    std::vector<std::string> out;
    for (const auto& f : Facts())
      out.push_back(f.type.substr(std::string("id.klinik.referral.").size()));
    return out;
  }

  std::optional<Referral> Load(const std::string& id) {
    return db_->Read([&](klinik::Transaction& tx) { return store::Load(tx, id, false); });
  }

  std::string OnlyReferralId() {
    auto facts = Facts();
    for (const auto& f : facts) {
      if (f.event.has_referral_created()) return f.event.referral_created().referral_id();
    }
    return "";
  }

  static constexpr const char* kPatient = "11111111-2222-4333-8444-555555555555";
  std::string url_;
  std::unique_ptr<klinik::Database> db_;
  Settings config_;
  klinik::Metrics registry_{"referral-test"};
  ServiceMetrics metrics_{registry_};
  TimePoint now_ = klinik::FromUnixMillis(1795000000000);
  std::unique_ptr<ReferralHandler> handler_;
  std::unique_ptr<SlaMonitor> monitor_;
  int64_t next_offset_ = 0;
};

TEST_P(ReferralStoreTest, ASecondRequestWithAnOverlappingReasonJoinsTheOpenReferral) {
  using K = klinik::HandleResult::Kind;
  ASSERT_EQ(Intake(Request("req-1", {"HYPERTENSION_GRADE_2"})), K::kApplied);
  std::string id = OnlyReferralId();
  now_ += 1h;
  ASSERT_EQ(Intake(Request("req-2", {"HYPERTENSION_GRADE_2", "OBESE"}, v1::URGENCY_URGENT)),
            K::kApplied);
  EXPECT_THAT(FactTypes(), ElementsAre("created.v1", "sent.v1", "joined.v1"));
  auto joined = Facts().back().event.referral_joined();
  EXPECT_EQ(joined.referral_id(), id);
  EXPECT_EQ(joined.request_id(), "req-2");
  EXPECT_EQ(joined.urgency(), v1::URGENCY_URGENT);
  EXPECT_EQ(joined.status(), v1::REFERRAL_STATUS_SENT);
  auto r = Load(id);
  ASSERT_TRUE(r);
  EXPECT_THAT(r->reason_codes, ElementsAre("HYPERTENSION_GRADE_2", "OBESE"));
  EXPECT_EQ(r->acceptance_deadline, now_ + 2h) << "the urgent join shortened the deadline";

  // A different reason opens its own referral.
  ASSERT_EQ(Intake(Request("req-3", {"TB_SYMPTOMS"})), K::kApplied);
  EXPECT_THAT(FactTypes(),
              ElementsAre("created.v1", "sent.v1", "joined.v1", "created.v1", "sent.v1"));
  auto open = db_->InTransaction(
      [&](klinik::Transaction& tx) { return store::OpenForPatient(tx, kPatient); });
  EXPECT_EQ(open.size(), 2u);
}

TEST_P(ReferralStoreTest, TheDatabaseRefusesASecondOpenReferralForTheSamePatientAndReason) {
  Referral a;
  a.referral_id = "aaaaaaaa-0000-4000-8000-000000000001";
  a.patient_id = kPatient;
  a.status = Status::kSent;
  a.reason_codes = {"HYPERTENSION_GRADE_2"};
  Referral b = a;
  b.referral_id = "aaaaaaaa-0000-4000-8000-000000000002";
  db_->InTransaction([&](klinik::Transaction& tx) { store::Insert(tx, a); });
  try {
    db_->InTransaction([&](klinik::Transaction& tx) { store::Insert(tx, b); });
    ADD_FAILURE() << "two open referrals for one patient and reason";
  } catch (const klinik::StorageError& e) {
    EXPECT_EQ(e.kind(), klinik::StorageErrorKind::kUniqueViolation) << e.what();
  }
  // Once the first is closed, the reason is free again.
  a.status = Status::kCompleted;
  db_->InTransaction([&](klinik::Transaction& tx) { store::Update(tx, a); });
  db_->InTransaction([&](klinik::Transaction& tx) { store::Insert(tx, b); });
  EXPECT_TRUE(Load(b.referral_id));
}

TEST_P(ReferralStoreTest, ResentRequestsAndCommandsWithANewCeIdChangeNothing) {
  using K = klinik::HandleResult::Kind;
  ASSERT_EQ(Intake(Request("req-1", {"HYPERTENSION_GRADE_2"})), K::kApplied);
  std::string id = OnlyReferralId();
  EXPECT_EQ(Intake(Request("req-1", {"HYPERTENSION_GRADE_2"})), K::kIgnored);
  ASSERT_EQ(Intake(Accept(id, "acc-1")), K::kApplied);
  EXPECT_EQ(Intake(Accept(id, "acc-1")), K::kIgnored) << "the app re-sent its accept";
  EXPECT_THAT(FactTypes(), ElementsAre("created.v1", "sent.v1", "accepted.v1"));

  // The same screening fact published twice opens one referral.
  v1::ScreeningEvent s;
  auto* c = s.mutable_screening_completed();
  c->set_screening_id("bbbbbbbb-0000-4000-8000-000000000001");
  c->set_patient_id(kPatient);
  c->set_clinic_id("clinic-9");
  c->set_examiner_id(kWorker);
  c->set_referral_recommended(true);
  c->add_referral_reason_codes("DIABETES_SUSPECTED");
  EXPECT_EQ(Screening(s), K::kApplied);
  EXPECT_EQ(Screening(s), K::kIgnored);
  EXPECT_EQ(Facts().size(), 5u);
  EXPECT_EQ(Facts()[3].event.referral_created().target_facility_id(), "pkm-default");

  c->set_referral_recommended(false);
  c->set_screening_id("bbbbbbbb-0000-4000-8000-000000000002");
  EXPECT_EQ(Screening(s), K::kIgnored);
  s.mutable_screening_rejected()->set_request_id("x");
  EXPECT_EQ(Screening(s), K::kIgnored);
  EXPECT_EQ(Facts().size(), 5u);
}

TEST_P(ReferralStoreTest, AWithdrawnScreeningCancelsTheReferralItOpenedAndNoOther) {
  using K = klinik::HandleResult::Kind;
  v1::ScreeningEvent s;
  auto* c = s.mutable_screening_completed();
  c->set_screening_id("bbbbbbbb-0000-4000-8000-00000000000a");
  c->set_patient_id(kPatient);
  c->set_clinic_id("clinic-9");
  c->set_examiner_id(kWorker);
  c->set_referral_recommended(true);
  c->add_referral_reason_codes("HYPERTENSION_GRADE_2");
  ASSERT_EQ(Screening(s), K::kApplied);
  std::string id = OnlyReferralId();

  v1::ScreeningEvent w;
  auto* f = w.mutable_screening_withdrawn();
  f->set_screening_id("bbbbbbbb-0000-4000-8000-00000000000b");  // another screening
  f->set_patient_id(kPatient);
  f->set_withdrawn_by(kWorker);
  f->set_reason("wrong resident");
  *f->mutable_withdrawn_at() = klinik::ToTimestampMillis(now_);
  EXPECT_EQ(Screening(w), K::kIgnored);
  EXPECT_THAT(FactTypes(), ElementsAre("created.v1", "sent.v1"));

  f->set_screening_id(c->screening_id());
  EXPECT_EQ(Screening(w), K::kApplied);
  EXPECT_THAT(FactTypes(), ElementsAre("created.v1", "sent.v1", "cancelled.v1"));
  const v1::ReferralCancelled cancelled = Facts().back().event.referral_cancelled();
  EXPECT_EQ(cancelled.referral_id(), id);
  EXPECT_EQ(cancelled.reason(), "SCREENING_WITHDRAWN");
  EXPECT_EQ(cancelled.acted_by(), kWorker);
  EXPECT_EQ(Load(id)->status, Status::kCancelled);
  EXPECT_EQ(Screening(w), K::kIgnored) << "withdrawn twice: nothing left to cancel";
  EXPECT_EQ(Facts().size(), 3u);
}

TEST_P(ReferralStoreTest, AForbiddenTransitionIsRejectedWithAReasonAndChangesNothing) {
  using K = klinik::HandleResult::Kind;
  ASSERT_EQ(Intake(Request("req-1", {"HYPERTENSION_GRADE_2"})), K::kApplied);
  std::string id = OnlyReferralId();
  auto before = Load(id);
  now_ += 1h;
  EXPECT_EQ(Intake(Complete(id, "cmp-1")), K::kRejected);
  auto after = Load(id);
  EXPECT_EQ(after->status, Status::kSent);
  EXPECT_EQ(after->updated_at, before->updated_at);
  EXPECT_TRUE(after->back_referral_notes.empty());
  auto history = db_->Read([&](klinik::Transaction& tx) { return store::History(tx, id); });
  EXPECT_EQ(history.size(), 2u);
  Fact f = Facts().back();
  EXPECT_EQ(f.type, "id.klinik.referral.transition_rejected.v1");
  EXPECT_EQ(f.key, kPatient);
  const auto& rej = f.event.referral_transition_rejected();
  EXPECT_EQ(rej.referral_id(), id);
  EXPECT_EQ(rej.request_id(), "cmp-1");
  EXPECT_EQ(rej.request_type(), "id.klinik.intake.complete_referral.v1");
  EXPECT_EQ(rej.current_status(), v1::REFERRAL_STATUS_SENT);
  ASSERT_EQ(rej.reasons_size(), 1);
  EXPECT_EQ(rej.reasons(0).code(), "INVALID_TRANSITION");

  // Unknown referral, another patient, invalid content: each refused with its own code.
  EXPECT_EQ(Intake(Accept("aaaaaaaa-0000-4000-8000-0000000000ff", "acc-x")), K::kRejected);
  EXPECT_EQ(Facts().back().event.referral_transition_rejected().reasons(0).code(),
            "REFERRAL_UNKNOWN");
  auto other = Accept(id, "acc-y");
  other.mutable_accept_referral()->set_patient_id("99999999-2222-4333-8444-555555555555");
  EXPECT_EQ(Intake(other), K::kRejected);
  EXPECT_EQ(Facts().back().event.referral_transition_rejected().reasons(0).code(),
            "PATIENT_MISMATCH");
  auto bad = Request("req-bad", {});
  EXPECT_EQ(Intake(bad), K::kRejected);
  EXPECT_EQ(Facts().back().event.referral_transition_rejected().reasons(0).code(),
            "REASON_CODES_MISSING");
  EXPECT_EQ(Load(id)->status, Status::kSent);
}

TEST_P(ReferralStoreTest, UndecodableOrEmptyIntakeIsDeadLetteredAnUnknownScreeningKindIgnored) {
  using K = klinik::HandleResult::Kind;
  EXPECT_EQ(Deliver(std::string(klinik::topics::kIntakeReferral), kPatient,
                    std::string("\xff\xff\xff", 3), "id.klinik.intake.request_referral.v1")
                .kind(),
            K::kDeadLetter);
  EXPECT_EQ(Intake(v1::ReferralIntake()), K::kDeadLetter);
  v1::ScreeningEvent s;
  s.mutable_screening_completed()->set_referral_recommended(true);
  s.mutable_screening_completed()->set_patient_id("not-a-uuid");
  EXPECT_EQ(Screening(s), K::kDeadLetter);
  // A screening fact of a kind this build does not know (here: none set) is ignored, not parked.
  EXPECT_EQ(Deliver(std::string(klinik::topics::kScreenings), kPatient, "",
                    "id.klinik.screening.newer_kind.v1")
                .kind(),
            K::kIgnored);
}

// A request, a command and screening facts each labelled with another kind's ce_type: dead
// letters naming the header and the payload's kind, with no referral, step, request key or fact
// written; the same payloads rightly labelled are then applied.
TEST_P(ReferralStoreTest, CeTypeMismatchIsDeadLetterAndChangesNothing) {
  using K = klinik::HandleResult::Kind;
  const std::string intake_topic(klinik::topics::kIntakeReferral);
  const std::string screenings(klinik::topics::kScreenings);
  auto deliver = [&](const std::string& topic, const auto& message, const std::string& ce_type) {
    return Deliver(topic, kPatient, message.SerializeAsString(), ce_type);
  };
  auto expect_mismatch = [](const klinik::HandleResult& r, const std::string& ce_type,
                            const std::string& kind) {
    EXPECT_EQ(r.kind(), K::kDeadLetter) << kind;
    EXPECT_EQ(r.detail(), "ce_type '" + ce_type + "' does not match " + kind);
  };

  v1::ReferralIntake request = Request("req-1", {"HYPERTENSION_GRADE_2"});
  expect_mismatch(deliver(intake_topic, request, "id.klinik.intake.accept_referral.v1"),
                  "id.klinik.intake.accept_referral.v1", "request_referral");
  expect_mismatch(deliver(intake_topic, request, kScreeningCompleted), kScreeningCompleted,
                  "request_referral");
  EXPECT_TRUE(Facts().empty());
  EXPECT_EQ(OnlyReferralId(), "");

  ASSERT_EQ(Intake(request), K::kApplied) << "the same request rightly labelled";
  const std::string id = OnlyReferralId();
  const size_t facts = Facts().size();
  v1::ReferralIntake accept = Accept(id, "acc-1");
  expect_mismatch(deliver(intake_topic, accept, "id.klinik.intake.complete_referral.v1"),
                  "id.klinik.intake.complete_referral.v1", "accept_referral");

  v1::ScreeningEvent completed;
  auto* c = completed.mutable_screening_completed();
  c->set_screening_id("bbbbbbbb-0000-4000-8000-000000000003");
  c->set_patient_id(kPatient);
  c->set_clinic_id("clinic-9");
  c->set_examiner_id(kWorker);
  c->set_referral_recommended(true);
  c->add_referral_reason_codes("TB_SYMPTOMS");
  expect_mismatch(deliver(screenings, completed, kScreeningRejected), kScreeningRejected,
                  "screening_completed");
  v1::ScreeningEvent rejected;
  rejected.mutable_screening_rejected()->set_request_id("scr-req-1");
  rejected.mutable_screening_rejected()->set_patient_id(kPatient);
  expect_mismatch(deliver(screenings, rejected, kScreeningCompleted), kScreeningCompleted,
                  "screening_rejected");
  EXPECT_EQ(Facts().size(), facts);
  EXPECT_EQ(Load(id)->status, Status::kSent);
  // OpenForPatient locks what it reads: not in a read-only transaction.
  EXPECT_EQ(db_->InTransaction(
                   [](klinik::Transaction& tx) { return store::OpenForPatient(tx, kPatient); })
                .size(),
            1u);

  EXPECT_EQ(Intake(accept), K::kApplied);
  EXPECT_EQ(Load(id)->status, Status::kAccepted);
  EXPECT_EQ(Screening(completed), K::kApplied) << "opens a second referral: another reason";
  EXPECT_EQ(Screening(rejected), K::kIgnored);
}

TEST_P(ReferralStoreTest, RejectedThenRetargetedThenFollowedToCompletionWithFullHistory) {
  using K = klinik::HandleResult::Kind;
  ASSERT_EQ(Intake(Request("req-1", {"HYPERTENSION_GRADE_2"})), K::kApplied);
  std::string id = OnlyReferralId();
  v1::ReferralIntake reject;
  auto* rj = reject.mutable_reject_referral();
  rj->set_referral_id(id);
  rj->set_request_id("rej-1");
  rj->set_patient_id(kPatient);
  rj->set_reason("CAPACITY_FULL");
  rj->set_acted_by(kWorker);
  ASSERT_EQ(Intake(reject), K::kApplied);
  v1::ReferralIntake retarget;
  auto* rt = retarget.mutable_retarget_referral();
  rt->set_referral_id(id);
  rt->set_request_id("ret-1");
  rt->set_patient_id(kPatient);
  rt->set_target_facility_id("rs-2");
  rt->set_target_facility_kind(v1::FACILITY_KIND_HOSPITAL);
  rt->set_acted_by(kWorker);
  ASSERT_EQ(Intake(retarget), K::kApplied);
  ASSERT_EQ(Intake(Accept(id, "acc-1")), K::kApplied);
  v1::ReferralIntake attend;
  auto* at = attend.mutable_record_attendance();
  at->set_referral_id(id);
  at->set_request_id("att-1");
  at->set_patient_id(kPatient);
  at->set_acted_by(kWorker);
  ASSERT_EQ(Intake(attend), K::kApplied);
  ASSERT_EQ(Intake(Complete(id, "cmp-1")), K::kApplied);
  EXPECT_THAT(FactTypes(), ElementsAre("created.v1", "sent.v1", "rejected.v1", "retargeted.v1",
                                       "sent.v1", "accepted.v1", "attended.v1", "completed.v1"));
  v1::GetReferralRequest req;
  req.set_referral_id(id);
  v1::GetReferralResponse resp;
  GrpcService service(*db_);
  ASSERT_TRUE(service.GetReferral(nullptr, &req, &resp).ok());
  const auto& r = resp.referral();
  EXPECT_EQ(r.status(), v1::REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(r.target_facility_id(), "rs-2");
  EXPECT_EQ(r.back_referral_notes(), "stable");
  ASSERT_EQ(r.history_size(), 8);
  EXPECT_EQ(r.history(2).to_status(), v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(r.history(2).reason(), "CAPACITY_FULL");
  EXPECT_EQ(r.history(3).event_type(), "id.klinik.referral.retargeted.v1");
  EXPECT_EQ(r.history(4).from_status(), v1::REFERRAL_STATUS_REJECTED);
  EXPECT_EQ(r.history(4).to_status(), v1::REFERRAL_STATUS_SENT);
  EXPECT_EQ(r.history(7).request_id(), "cmp-1");

  // The reason is free again: a new request opens a new referral.
  ASSERT_EQ(Intake(Request("req-2", {"HYPERTENSION_GRADE_2"})), K::kApplied);
  EXPECT_EQ(Facts()[Facts().size() - 2].type, "id.klinik.referral.created.v1");
}

TEST_P(ReferralStoreTest, SlaMonitorEscalatesOnceAndExpiresAtTheEndOfValidity) {
  ASSERT_EQ(Intake(Request("req-1", {"TB_SYMPTOMS"}, v1::URGENCY_URGENT)),
            klinik::HandleResult::Kind::kApplied);
  std::string id = OnlyReferralId();
  now_ += 2h;
  EXPECT_EQ(monitor_->RunOnce(), 0) << "at the deadline the target is still on time";
  now_ += 1ms;
  EXPECT_EQ(monitor_->RunOnce(), 1);
  EXPECT_EQ(monitor_->RunOnce(), 0) << "escalated once";
  // A fresh monitor (a restarted process) reads the persisted flag.
  SlaMonitor restarted(*db_, "/klinik/referral", Lifecycle(), metrics_);
  EXPECT_EQ(restarted.RunOnce(), 0);
  auto overdue = Facts().back().event.referral_overdue();
  EXPECT_EQ(overdue.referral_id(), id);
  EXPECT_EQ(overdue.status(), v1::REFERRAL_STATUS_SENT);
  EXPECT_EQ(overdue.urgency(), v1::URGENCY_URGENT);
  EXPECT_EQ(overdue.target_facility_id(), "rs-1");

  now_ = Load(id)->valid_until;
  EXPECT_EQ(restarted.RunOnce(), 1);
  auto expired = Facts().back().event.referral_expired();
  EXPECT_EQ(expired.cause(), v1::EXPIRY_CAUSE_NO_RESPONSE);
  EXPECT_EQ(Load(id)->status, Status::kExpired);
  EXPECT_EQ(restarted.RunOnce(), 0);
  EXPECT_THAT(FactTypes(), ElementsAre("created.v1", "sent.v1", "overdue.v1", "expired.v1"));
}

TEST_P(ReferralStoreTest, ListReferralsFiltersAndPagesNewestFirst) {
  for (int i = 0; i < 5; ++i) {
    now_ += 1min;
    ASSERT_EQ(Intake(Request("req-" + std::to_string(i), {"CODE_" + std::to_string(i)},
                             v1::URGENCY_ROUTINE, i % 2 == 0 ? "rs-even" : "rs-odd")),
              klinik::HandleResult::Kind::kApplied);
  }
  GrpcService service(*db_);
  v1::ListReferralsRequest req;
  req.set_patient_id(kPatient);
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 5; ++page) {
    v1::ListReferralsResponse resp;
    ASSERT_TRUE(service.ListReferrals(nullptr, &req, &resp).ok());
    for (const auto& r : resp.referrals()) {
      seen.push_back(r.reason_codes(0));
      EXPECT_EQ(r.history_size(), 0);
    }
    if (resp.next_page_token().empty()) break;
    req.set_page_token(resp.next_page_token());
  }
  EXPECT_THAT(seen, ElementsAre("CODE_4", "CODE_3", "CODE_2", "CODE_1", "CODE_0"));

  v1::ListReferralsRequest by_target;
  by_target.set_target_facility_id("rs-odd");
  by_target.set_status(v1::REFERRAL_STATUS_SENT);
  v1::ListReferralsResponse resp;
  ASSERT_TRUE(service.ListReferrals(nullptr, &by_target, &resp).ok());
  ASSERT_EQ(resp.referrals_size(), 2);
  EXPECT_EQ(resp.referrals(0).reason_codes(0), "CODE_3");
  by_target.set_status(v1::REFERRAL_STATUS_ACCEPTED);
  resp.Clear();
  ASSERT_TRUE(service.ListReferrals(nullptr, &by_target, &resp).ok());
  EXPECT_EQ(resp.referrals_size(), 0);

  v1::ListReferralsRequest none;
  EXPECT_EQ(service.ListReferrals(nullptr, &none, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_token("garbage");
  EXPECT_EQ(service.ListReferrals(nullptr, &req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  req.set_page_token("");
  req.set_page_size(201);
  EXPECT_EQ(service.ListReferrals(nullptr, &req, &resp).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  v1::GetReferralRequest get;
  get.set_referral_id("aaaaaaaa-0000-4000-8000-0000000000ff");
  v1::GetReferralResponse got;
  EXPECT_EQ(service.GetReferral(nullptr, &get, &got).error_code(), grpc::StatusCode::NOT_FOUND);
}

INSTANTIATE_TEST_SUITE_P(Backends, ReferralStoreTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace referral
