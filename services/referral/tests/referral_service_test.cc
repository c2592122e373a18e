// The referral binary as a separate process against real Kafka and both databases: a screening
// fact opens a referral that is followed to completion through intake events, redelivery is a
// no-op, a forbidden transition is refused without change, and the SLA escalation fires once
// across a restart.
//
// The klinik.* topics are shared by every test of the run, and a new consumer group reads them
// from the beginning, so another test's service may also react to this test's messages (with its
// own referral ids). Every assertion therefore looks only at the referral ids this test's own
// service reports over gRPC, and ignores REFERRAL_UNKNOWN refusals (another service's database
// does not know this test's referrals).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <set>

#include "klinik/cloudevents.h"
#include "klinik/grpc.h"
#include "klinik/kafka.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/referral.grpc.pb.h"
#include "klinik/v1/screening.pb.h"
#include "referral_facts.h"
#include "test_infra.h"

namespace referral {
namespace {

namespace v1 = klinik::v1;
using namespace std::chrono_literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr const char* kWorker = "3201010101900001";

std::string ReferralBinary() { return klinik::testing::BinaryPath("services/referral/referral"); }

struct Fact {
  std::string type;
  std::string ce_id;
  v1::ReferralEvent event;
};

std::string ReferralIdOf(const v1::ReferralEvent& e) {
  switch (e.kind_case()) {
    case v1::ReferralEvent::kReferralCreated:
      return e.referral_created().referral_id();
    case v1::ReferralEvent::kReferralJoined:
      return e.referral_joined().referral_id();
    case v1::ReferralEvent::kReferralSent:
      return e.referral_sent().referral_id();
    case v1::ReferralEvent::kReferralAccepted:
      return e.referral_accepted().referral_id();
    case v1::ReferralEvent::kReferralRejected:
      return e.referral_rejected().referral_id();
    case v1::ReferralEvent::kReferralRetargeted:
      return e.referral_retargeted().referral_id();
    case v1::ReferralEvent::kReferralAttended:
      return e.referral_attended().referral_id();
    case v1::ReferralEvent::kReferralCompleted:
      return e.referral_completed().referral_id();
    case v1::ReferralEvent::kReferralCancelled:
      return e.referral_cancelled().referral_id();
    case v1::ReferralEvent::kReferralExpired:
      return e.referral_expired().referral_id();
    case v1::ReferralEvent::kReferralOverdue:
      return e.referral_overdue().referral_id();
    case v1::ReferralEvent::kReferralTransitionRejected: {
      const auto& r = e.referral_transition_rejected();
      if (r.reasons_size() > 0 && r.reasons(0).code() == "REFERRAL_UNKNOWN") return "";
      return r.referral_id();
    }
    case v1::ReferralEvent::KIND_NOT_SET:
      break;
  }
  return "";
}

// Reads klinik.referrals.v1 continuously with its own group and keeps the facts of one referral.
class FactReader {
 public:
  FactReader()
      : consumer_(klinik::testing::KafkaTestSettings(),
                  klinik::testing::UniqueName("referral-test-reader"),
                  {std::string(klinik::topics::kReferrals)}) {}

  // Facts about `referral_id`, in topic order, once `done` holds for them (or after `timeout`).
  std::vector<Fact> WaitFor(const std::string& referral_id,
                            const std::function<bool(const std::vector<Fact>&)>& done,
                            std::chrono::milliseconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      for (auto& m : consumer_.PollBatch(1000, 200ms)) {
        Fact f;
        f.type = klinik::FindHeader(m.headers, "ce_type").value_or("");
        f.ce_id = klinik::FindHeader(m.headers, "ce_id").value_or("");
        if (!f.event.ParseFromString(m.value)) continue;
        std::string id = ReferralIdOf(f.event);
        if (!id.empty()) by_referral_[id].push_back(std::move(f));
      }
      const auto& facts = by_referral_[referral_id];
      if (done(facts) || std::chrono::steady_clock::now() > deadline) return facts;
    }
  }

  static std::vector<std::string> Types(const std::vector<Fact>& facts) {
    std::vector<std::string> out;
    for (const auto& f : facts)
      out.push_back(f.type.substr(std::string("id.klinik.referral.").size()));
    return out;
  }

 private:
  klinik::Consumer consumer_;
  std::map<std::string, std::vector<Fact>> by_referral_;
};

bool HasType(const std::vector<Fact>& facts, const std::string& type, size_t count = 1) {
  return static_cast<size_t>(std::count_if(facts.begin(), facts.end(), [&](const Fact& f) {
           return f.type == "id.klinik.referral." + type;
         })) >= count;
}

class ReferralServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    klinik::testing::CreateTopics(
        {std::string(klinik::topics::kIntakeReferral), std::string(klinik::topics::kScreenings),
         std::string(klinik::topics::kReferrals), std::string(klinik::topics::kDeadLetter)});
    url_ = klinik::testing::FreshDatabase(GetParam());
    group_ = klinik::testing::UniqueName("referral-test");
    map_path_ = klinik::testing::TempDir() + "/clinic_map.json";
    std::ofstream(map_path_) << R"({"clinic-mapped": "pkm-mapped"})";
    producer_ = std::make_unique<klinik::Producer>(klinik::testing::KafkaTestSettings());
  }

  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {
        {"KLINIK_DATABASE_URL", url_},
        {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", klinik::testing::KafkaBootstrap()},
        {"KLINIK_CONSUMER_GROUP", group_},
        {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_DEFAULT_PUSKESMAS_ID", "pkm-default"},
        {"KLINIK_CLINIC_PUSKESMAS_MAP", map_path_},
        {"KLINIK_SLA_CHECK_INTERVAL", "200ms"},
        {"KLINIK_RETRY_INITIAL", "100ms"},
        {"KLINIK_SHUTDOWN_TIMEOUT", "15s"},
    };
    for (auto& [k, v] : extra) env[k] = v;
    return env;
  }

  std::unique_ptr<klinik::testing::ChildProcess> Start(
      std::map<std::string, std::string> extra = {}) {
    auto child = std::make_unique<klinik::testing::ChildProcess>(
        ReferralBinary(), std::vector<std::string>{}, Env(std::move(extra)));
    int grpc_port = 0;
    EXPECT_TRUE(child->WaitForPorts(60s, &grpc_port, &http_port_)) << child->Output();
    stub_ = v1::ReferralService::NewStub(
        klinik::MakeClientChannel("127.0.0.1:" + std::to_string(grpc_port)));
    return child;
  }

  void Publish(std::string_view topic, const std::string& key, const std::string& ce_type,
               const google::protobuf::MessageLite& payload,
               const std::string& ce_id = klinik::NewUuid()) {
    klinik::OutgoingMessage m{std::string(topic), key, payload.SerializeAsString(), {}};
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/test", key);
    ce.id = ce_id;
    klinik::AppendCloudEventHeaders(ce, m.headers);
    auto r = producer_->SendSync(m, 30s);
    ASSERT_TRUE(r.ok) << r.error;
  }

  v1::ScreeningEvent Screening(const std::string& patient, const std::string& reason,
                               v1::Urgency urgency) {
    v1::ScreeningEvent e;
    auto* s = e.mutable_screening_completed();
    s->set_screening_id(klinik::NewUuid());
    s->set_patient_id(patient);
    s->set_clinic_id("clinic-mapped");
    s->set_examiner_id(kWorker);
    *s->mutable_measured_at() = klinik::ToTimestampMillis(klinik::Clock::now());
    s->set_referral_recommended(true);
    s->set_referral_urgency(urgency);
    s->add_referral_reason_codes(reason);
    auto* f = s->add_findings();
    f->set_code(reason);
    f->set_display("temuan");
    f->set_icd10("I10");
    return e;
  }

  void PublishScreening(const v1::ScreeningEvent& e, const std::string& ce_id = klinik::NewUuid()) {
    Publish(klinik::topics::kScreenings, e.screening_completed().patient_id(),
            "id.klinik.screening.completed.v1", e, ce_id);
  }

  // The patient's referrals as this test's own service stores them, newest first.
  std::vector<v1::Referral> ListByPatient(const std::string& patient) {
    v1::ListReferralsRequest req;
    req.set_patient_id(patient);
    v1::ListReferralsResponse resp;
    auto ctx = klinik::ContextWithDeadline(5s);
    if (!stub_->ListReferrals(ctx.get(), req, &resp).ok()) return {};
    return {resp.referrals().begin(), resp.referrals().end()};
  }

  // Waits until this service holds `count` referrals of the patient; returns the newest's id.
  std::string AwaitReferral(const std::string& patient, size_t count = 1) {
    std::string id;
    EXPECT_TRUE(klinik::testing::WaitUntil(
        [&] {
          auto list = ListByPatient(patient);
          if (list.size() != count) return false;
          id = list.front().referral_id();
          return true;
        },
        60s));
    return id;
  }

  v1::Referral Get(const std::string& id) {
    v1::GetReferralRequest req;
    req.set_referral_id(id);
    v1::GetReferralResponse resp;
    auto ctx = klinik::ContextWithDeadline(5s);
    auto status = stub_->GetReferral(ctx.get(), req, &resp);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return resp.referral();
  }

  template <typename M>
  void SendCommand(M* (v1::ReferralIntake::*mutable_kind)(), const std::string& ce_type,
                   const std::string& patient, const std::string& referral_id,
                   const std::string& request_id, const std::function<void(M&)>& fill = {},
                   const std::string& ce_id = klinik::NewUuid()) {
    v1::ReferralIntake intake;
    M* m = (intake.*mutable_kind)();
    m->set_referral_id(referral_id);
    m->set_request_id(request_id);
    m->set_patient_id(patient);
    m->set_acted_by(kWorker);
    if (fill) fill(*m);
    Publish(klinik::topics::kIntakeReferral, patient, ce_type, intake, ce_id);
  }

  std::string url_, group_, map_path_;
  int http_port_ = 0;
  std::unique_ptr<klinik::Producer> producer_;
  std::unique_ptr<v1::ReferralService::Stub> stub_;
};

TEST_P(ReferralServiceTest, ScreeningFactOpensAReferralThatIsFollowedToCompletion) {
  FactReader reader;
  auto service = Start();
  std::string patient = klinik::NewUuid();

  v1::ScreeningEvent screening = Screening(patient, "HYPERTENSION_GRADE_2", v1::URGENCY_ROUTINE);
  std::string screening_ce = klinik::NewUuid();
  PublishScreening(screening, screening_ce);
  std::string id = AwaitReferral(patient);
  auto facts = reader.WaitFor(id, [](auto& f) { return HasType(f, "sent.v1"); });
  ASSERT_THAT(FactReader::Types(facts), ElementsAre("created.v1", "sent.v1")) << service->Output();
  const auto& created = facts[0].event.referral_created();
  EXPECT_EQ(created.patient_id(), patient);
  EXPECT_EQ(created.origin_clinic_id(), "clinic-mapped");
  EXPECT_EQ(created.target_facility_id(), "pkm-mapped") << "the clinic's configured puskesmas";
  EXPECT_EQ(created.source_screening_id(), screening.screening_completed().screening_id());
  EXPECT_THAT(created.reason_codes(), ElementsAre("HYPERTENSION_GRADE_2"));
  EXPECT_EQ(facts[1].event.referral_sent().target_facility_id(), "pkm-mapped");

  // Redelivery of the same screening fact (same ce_id), a rejected screening (ignored), then a
  // marker for another reason on the same partition: once the marker's referral exists, the
  // duplicates before it were processed.
  PublishScreening(screening, screening_ce);
  v1::ScreeningEvent rejected;
  rejected.mutable_screening_rejected()->set_patient_id(patient);
  Publish(klinik::topics::kScreenings, patient, "id.klinik.screening.rejected.v1", rejected);
  PublishScreening(Screening(patient, "TB_SYMPTOMS", v1::URGENCY_ROUTINE));
  AwaitReferral(patient, 2);

  // A manual request for the same reason joins the open referral.
  v1::ReferralIntake request;
  auto* r = request.mutable_request_referral();
  r->set_request_id("manual-1");
  r->set_patient_id(patient);
  r->set_origin_clinic_id("clinic-mapped");
  r->set_target_facility_id("rs-other");
  r->set_urgency(v1::URGENCY_ROUTINE);
  r->add_reason_codes("HYPERTENSION_GRADE_2");
  r->set_requested_by(kWorker);
  Publish(klinik::topics::kIntakeReferral, patient, "id.klinik.intake.request_referral.v1",
          request);

  // Accept, delivered twice with one ce_id; a premature completion (forbidden from ACCEPTED);
  // then attendance and completion.
  std::string accept_ce = klinik::NewUuid();
  for (int i = 0; i < 2; ++i) {
    SendCommand<v1::AcceptReferral>(&v1::ReferralIntake::mutable_accept_referral,
                                    "id.klinik.intake.accept_referral.v1", patient, id, "accept-1",
                                    {}, accept_ce);
  }
  SendCommand<v1::CompleteReferral>(
      &v1::ReferralIntake::mutable_complete_referral, "id.klinik.intake.complete_referral.v1",
      patient, id, "complete-early", [](auto& m) { m.set_back_referral_notes("too early"); });
  facts = reader.WaitFor(id, [](auto& f) { return HasType(f, "transition_rejected.v1"); });
  ASSERT_TRUE(HasType(facts, "transition_rejected.v1")) << service->Output();
  const auto& refused = facts.back().event.referral_transition_rejected();
  EXPECT_EQ(refused.request_id(), "complete-early");
  EXPECT_EQ(refused.request_type(), "id.klinik.intake.complete_referral.v1");
  EXPECT_EQ(refused.current_status(), v1::REFERRAL_STATUS_ACCEPTED);
  ASSERT_EQ(refused.reasons_size(), 1);
  EXPECT_EQ(refused.reasons(0).code(), "INVALID_TRANSITION");
  v1::Referral unchanged = Get(id);
  EXPECT_EQ(unchanged.status(), v1::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(unchanged.back_referral_notes(), "");
  EXPECT_EQ(unchanged.history_size(), 4) << "created, sent, joined, accepted";

  SendCommand<v1::RecordAttendance>(&v1::ReferralIntake::mutable_record_attendance,
                                    "id.klinik.intake.record_attendance.v1", patient, id,
                                    "attend-1");
  SendCommand<v1::CompleteReferral>(
      &v1::ReferralIntake::mutable_complete_referral, "id.klinik.intake.complete_referral.v1",
      patient, id, "complete-1", [](auto& m) {
        m.set_back_referral_notes("BP controlled on amlodipine 5 mg");
        m.set_follow_up_instructions("monthly BP check at the clinic");
      });
  facts = reader.WaitFor(id, [](auto& f) { return HasType(f, "completed.v1"); });
  ASSERT_THAT(FactReader::Types(facts),
              ElementsAre("created.v1", "sent.v1", "joined.v1", "accepted.v1",
                          "transition_rejected.v1", "attended.v1", "completed.v1"));
  std::set<std::string> ce_ids;
  for (const auto& f : facts) ce_ids.insert(f.ce_id);
  EXPECT_EQ(ce_ids.size(), facts.size()) << "one fact per step, no re-sends";
  EXPECT_EQ(facts[2].event.referral_joined().request_id(), "manual-1");
  EXPECT_EQ(facts.back().event.referral_completed().origin_clinic_id(), "clinic-mapped");

  v1::Referral done = Get(id);
  EXPECT_EQ(done.status(), v1::REFERRAL_STATUS_COMPLETED);
  EXPECT_EQ(done.back_referral_notes(), "BP controlled on amlodipine 5 mg");
  EXPECT_EQ(done.follow_up_instructions(), "monthly BP check at the clinic");
  std::vector<std::string> history;
  for (const auto& t : done.history()) history.push_back(t.event_type());
  ASSERT_THAT(history,
              ElementsAre("id.klinik.referral.created.v1", "id.klinik.referral.sent.v1",
                          "id.klinik.referral.joined.v1", "id.klinik.referral.accepted.v1",
                          "id.klinik.referral.attended.v1", "id.klinik.referral.completed.v1"));
  EXPECT_EQ(done.history(3).from_status(), v1::REFERRAL_STATUS_SENT);
  EXPECT_EQ(done.history(3).to_status(), v1::REFERRAL_STATUS_ACCEPTED);
  EXPECT_EQ(done.history(3).request_id(), "accept-1");
  EXPECT_EQ(done.history(5).to_status(), v1::REFERRAL_STATUS_COMPLETED);

  int status = 0;
  std::string metrics = klinik::testing::HttpGet(http_port_, "/metrics", &status);
  EXPECT_THAT(metrics, HasSubstr("klinik_referral_transitions_total{transition=\"completed\"}"));
  EXPECT_THAT(metrics, HasSubstr("klinik_referral_time_to_acceptance_seconds_count"));
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(30s), 0) << service->Output();
}

// Routine referrals escalate after 1 s, urgent ones after 6 s. Referral A goes overdue in the
// first process; referral B is created there but its deadline passes while no process runs.
// The second process escalates B (the deadline was persisted) and never A again (so was the flag).
TEST_P(ReferralServiceTest, OverdueFiresOnceAcrossARestart) {
  FactReader reader;
  std::map<std::string, std::string> sla = {{"KLINIK_SLA_ROUTINE", "1s"},
                                            {"KLINIK_SLA_URGENT", "6s"}};
  std::string patient_a = klinik::NewUuid(), patient_b = klinik::NewUuid();
  std::string a, b;
  {
    auto first = Start(sla);
    PublishScreening(Screening(patient_a, "HYPERTENSION_GRADE_1", v1::URGENCY_ROUTINE));
    a = AwaitReferral(patient_a);
    auto facts = reader.WaitFor(a, [](auto& f) { return HasType(f, "overdue.v1"); });
    ASSERT_TRUE(HasType(facts, "overdue.v1")) << first->Output();
    EXPECT_EQ(facts.back().event.referral_overdue().status(), v1::REFERRAL_STATUS_SENT);

    PublishScreening(Screening(patient_b, "HYPERTENSION_GRADE_3", v1::URGENCY_URGENT));
    b = AwaitReferral(patient_b);
    first->Signal(SIGTERM);
    ASSERT_EQ(first->Wait(30s), 0) << first->Output();
  }
  auto stopped_at = klinik::Clock::now();
  v1::ReferralCreated created_b =
      reader.WaitFor(b, [](auto& f) { return HasType(f, "created.v1"); })
          .front()
          .event.referral_created();
  auto deadline_b = klinik::FromTimestamp(created_b.acceptance_deadline());
  ASSERT_GT(deadline_b, stopped_at) << "B must not be due before the first process stops";

  auto second = Start(sla);
  auto facts_b = reader.WaitFor(b, [](auto& f) { return HasType(f, "overdue.v1"); });
  ASSERT_TRUE(HasType(facts_b, "overdue.v1")) << second->Output();
  auto overdue_b = facts_b.back().event.referral_overdue();
  EXPECT_GE(klinik::FromTimestamp(overdue_b.detected_at()), deadline_b);
  EXPECT_EQ(overdue_b.urgency(), v1::URGENCY_URGENT);

  // The scan that escalated B saw A too: A still has exactly one escalation.
  auto facts_a = reader.WaitFor(
      a, [](auto&) { return false; }, 2s);
  EXPECT_THAT(FactReader::Types(facts_a), ElementsAre("created.v1", "sent.v1", "overdue.v1"));
  EXPECT_TRUE(Get(a).status() == v1::REFERRAL_STATUS_SENT)
      << "an escalation leaves the referral open";
  int status = 0;
  EXPECT_THAT(klinik::testing::HttpGet(http_port_, "/metrics", &status),
              HasSubstr("klinik_referrals_overdue_total "));
  second->Signal(SIGTERM);
  EXPECT_EQ(second->Wait(30s), 0) << second->Output();
}

INSTANTIATE_TEST_SUITE_P(Backends, ReferralServiceTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(ReferralServiceConfig, AMissingDefaultPuskesmasStopsTheServiceNamingTheVariable) {
  klinik::testing::ChildProcess service(
      ReferralBinary(), {}, {{"KLINIK_DATABASE_URL", klinik::testing::FreshSqliteDatabase()}});
  EXPECT_EQ(service.Wait(20s), 2);
  EXPECT_THAT(service.Output(), HasSubstr("KLINIK_DEFAULT_PUSKESMAS_ID"));
}

}  // namespace
}  // namespace referral
