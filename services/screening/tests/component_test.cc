// The screening binary end to end on real Kafka and both databases, with the REAL registration
// service as the PatientDirectory it asks (both started as child processes):
//   - a submission becomes ScreeningCompleted with the right categories and referral, readable
//     over gRPC; unknown patients and typing errors become ScreeningRejected;
//   - registration killed: the submission waits (service not ready, no fact) and is processed
//     exactly once after registration is back;
//   - redelivery (same ce_id, or the same screening_id under a new ce_id) adds no fact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/grpcpp.h>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.grpc.pb.h"
#include "submission.h"
#include "test_infra.h"

namespace screening {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace kt = klinik::testing;

// A free TCP port on 127.0.0.1, so registration can be restarted where screening expects it.
int FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// Reads a topic from its beginning with its own group and keeps everything it saw, so a test
// can wait for the facts about its own ids on a topic other tests share.
class TopicWatcher {
 public:
  explicit TopicWatcher(const std::string& topic)
      : consumer_(kt::KafkaTestSettings(), kt::UniqueName("screening-watch"), {topic}) {}
  ~TopicWatcher() { consumer_.Close(); }

  bool WaitFor(const std::function<bool(const std::vector<klinik::ConsumedMessage>&)>& done,
               std::chrono::milliseconds timeout) {
    return kt::WaitUntil(
        [&] {
          for (auto& m : consumer_.PollBatch(1000, 100ms)) seen_.push_back(std::move(m));
          return done(seen_);
        },
        timeout);
  }
  void Drain(std::chrono::milliseconds d) {
    WaitFor([](const auto&) { return false; }, d);
  }
  [[nodiscard]] const std::vector<klinik::ConsumedMessage>& seen() const { return seen_; }

 private:
  klinik::Consumer consumer_;
  std::vector<klinik::ConsumedMessage> seen_;
};

// Screening facts about one patient or request.
std::vector<klinik::v1::ScreeningEvent> FactsFor(const std::vector<klinik::ConsumedMessage>& seen,
                                                 const std::string& key) {
  std::vector<klinik::v1::ScreeningEvent> out;
  for (const auto& m : seen) {
    if (m.key != key) continue;
    klinik::v1::ScreeningEvent e;
    if (e.ParseFromString(m.value)) out.push_back(std::move(e));
  }
  return out;
}

class ScreeningComponent : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    screening_intake_ = kt::UniqueName("test.screening.intake");
    registration_intake_ = kt::UniqueName("test.registration.intake");
    kt::CreateTopics({screening_intake_, registration_intake_});
    kt::CreateTopics({std::string(klinik::topics::kPatients),
                      std::string(klinik::topics::kScreenings),
                      std::string(klinik::topics::kDeadLetter)});
    registration_db_ = kt::FreshSqliteDatabase();
    registration_port_ = FreePort();
    producer_ = std::make_unique<klinik::Producer>(kt::KafkaTestSettings());
    screenings_ = std::make_unique<TopicWatcher>(std::string(klinik::topics::kScreenings));
  }

  std::unique_ptr<kt::ChildProcess> StartRegistration() {
    auto p = std::make_unique<kt::ChildProcess>(
        kt::BinaryPath("services/registration/registration"), std::vector<std::string>{},
        std::map<std::string, std::string>{
            {"KLINIK_DATABASE_URL", registration_db_},
            {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
            {"KLINIK_CONSUMER_GROUP", "registration-" + registration_intake_},
            {"KLINIK_REGISTRATION_INTAKE_TOPIC", registration_intake_},
            {"KLINIK_GRPC_ADDRESS", "127.0.0.1:" + std::to_string(registration_port_)},
            {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
        });
    EXPECT_TRUE(p->WaitForPorts(60s, nullptr, nullptr)) << p->Output();
    return p;
  }

  std::unique_ptr<kt::ChildProcess> StartScreening() {
    std::string db = kt::FreshDatabase(GetParam());
    auto p = std::make_unique<kt::ChildProcess>(
        kt::BinaryPath("services/screening/screening"), std::vector<std::string>{},
        std::map<std::string, std::string>{
            {"KLINIK_DATABASE_URL", db},
            {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
            {"KLINIK_CONSUMER_GROUP", "screening-" + screening_intake_},
            {"KLINIK_SCREENING_INTAKE_TOPIC", screening_intake_},
            {"KLINIK_REGISTRATION_ADDRESS", "127.0.0.1:" + std::to_string(registration_port_)},
            {"KLINIK_REGISTRATION_TIMEOUT", "1s"},
            {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
            {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
            {"KLINIK_RETRY_INITIAL", "100ms"},
            {"KLINIK_RETRY_MAX", "1s"},
        });
    EXPECT_TRUE(p->WaitForPorts(60s, &screening_grpc_port_, &screening_http_port_)) << p->Output();
    return p;
  }

  void Send(const std::string& topic, const std::string& key, const std::string& ce_type,
            const std::string& value, const std::string& ce_id = klinik::NewUuid()) {
    klinik::OutgoingMessage m{topic, key, value, {}};
    klinik::CloudEvent ce = klinik::NewCloudEvent(ce_type, "/test/app", key);
    ce.id = ce_id;
    klinik::AppendCloudEventHeaders(ce, m.headers);
    auto r = producer_->SendSync(m, 30s);
    ASSERT_TRUE(r.ok) << r.error;
  }

  // Registers a woman whose 40th birthday is today (WIB) and returns her patient_id from the
  // PatientRegistered fact.
  std::string RegisterPatient(kt::ChildProcess& registration) {
    klinik::CivilDate today = klinik::ToCivilDate(klinik::Clock::now() + std::chrono::hours(7));
    klinik::CivilDate birth{today.year - 40, today.month,
                            today.day == 29 && today.month == 2 ? 28u : today.day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "647204%02u%02u%02d%04d", birth.day + 40, birth.month,
                  birth.year % 100,
                  1 + static_cast<int>(klinik::NewUuid()[0] % 9) * 1000 + getpid() % 1000);
    const std::string nik = buf;
    std::string request_id = klinik::NewUuid();
    klinik::v1::RegistrationIntake intake;
    auto* r = intake.mutable_register_patient();
    r->set_request_id(request_id);
    r->set_nik(nik);
    r->set_full_name("Siti Aminah");
    r->set_birth_date(klinik::FormatCivilDate(birth));
    r->set_sex(klinik::v1::SEX_FEMALE);
    r->mutable_address()->set_village_code("64.72.04.1004");
    r->set_clinic_id("clinic-test");
    Send(registration_intake_, nik, "id.klinik.intake.register_patient.v1",
         intake.SerializeAsString());
    TopicWatcher patients{std::string(klinik::topics::kPatients)};
    std::string patient_id;
    bool ok = patients.WaitFor(
        [&](const auto& seen) {
          for (const auto& m : seen) {
            klinik::v1::PatientEvent e;
            if (!e.ParseFromString(m.value)) continue;
            if (e.has_patient_registered() && e.patient_registered().request_id() == request_id) {
              patient_id = e.patient_registered().patient_id();
            }
            if (e.has_registration_rejected() &&
                e.registration_rejected().request_id() == request_id) {
              ADD_FAILURE() << "registration rejected: " << e.registration_rejected().DebugString();
              return true;
            }
          }
          return !patient_id.empty();
        },
        90s);
    EXPECT_TRUE(ok) << registration.Output();
    return patient_id;
  }

  klinik::v1::SubmitScreening Submission(const std::string& patient_id) {
    klinik::v1::SubmitScreening s;
    s.set_request_id(klinik::NewUuid());
    s.set_screening_id(klinik::NewUuid());
    s.set_patient_id(patient_id);
    s.set_clinic_id("clinic-test");
    s.set_examiner_id("6472044101900001");
    *s.mutable_measured_at() = klinik::ToTimestamp(klinik::Clock::now() - 1min);
    auto* m = s.mutable_measurements();
    m->set_systolic_mmhg(185);
    m->set_diastolic_mmhg(95);
    m->set_glucose_mg_dl(210);
    m->set_glucose_kind(klinik::v1::GLUCOSE_KIND_RANDOM);
    m->set_weight_kg(72);
    m->set_height_cm(158);
    m->set_waist_cm(88);
    return s;
  }

  void Submit(const klinik::v1::SubmitScreening& s, const std::string& ce_id = klinik::NewUuid()) {
    klinik::v1::ScreeningIntake intake;
    *intake.mutable_submit_screening() = s;
    Send(screening_intake_, s.patient_id().empty() ? s.request_id() : s.patient_id(),
         "id.klinik.intake.submit_screening.v1", intake.SerializeAsString(), ce_id);
  }

  // ScreeningCompleted facts of one screening_id seen so far.
  int CompletedCount(const std::string& patient_id, const std::string& screening_id) {
    int n = 0;
    for (const auto& e : FactsFor(screenings_->seen(), patient_id)) {
      n += e.has_screening_completed() && e.screening_completed().screening_id() == screening_id
               ? 1
               : 0;
    }
    return n;
  }

  bool WaitForCompleted(const std::string& patient_id, const std::string& screening_id,
                        std::chrono::milliseconds timeout = 60s) {
    return screenings_->WaitFor(
        [&](const auto&) { return CompletedCount(patient_id, screening_id) > 0; }, timeout);
  }

  std::string screening_intake_, registration_intake_, registration_db_;
  int registration_port_ = 0;
  int screening_grpc_port_ = 0, screening_http_port_ = 0;
  std::unique_ptr<klinik::Producer> producer_;
  std::unique_ptr<TopicWatcher> screenings_;
};

TEST_P(ScreeningComponent, SubmissionBecomesScreeningCompletedWithCategoriesAndReferral) {
  auto registration = StartRegistration();
  std::string patient_id = RegisterPatient(*registration);
  ASSERT_FALSE(patient_id.empty());
  auto service = StartScreening();

  klinik::v1::SubmitScreening s = Submission(patient_id);
  Submit(s);
  klinik::v1::SubmitScreening unknown = Submission(klinik::NewUuid());
  Submit(unknown);
  klinik::v1::SubmitScreening typo = Submission(patient_id);
  typo.mutable_measurements()->set_weight_kg(720);
  Submit(typo);

  auto rejected_for = [&](const std::string& request_id,
                          const std::string& key) -> std::optional<klinik::v1::ScreeningRejected> {
    for (auto& e : FactsFor(screenings_->seen(), key)) {
      if (e.has_screening_rejected() && e.screening_rejected().request_id() == request_id) {
        return e.screening_rejected();
      }
    }
    return std::nullopt;
  };
  ASSERT_TRUE(screenings_->WaitFor(
      [&](const auto&) {
        return CompletedCount(patient_id, s.screening_id()) == 1 &&
               rejected_for(unknown.request_id(), unknown.patient_id()) &&
               rejected_for(typo.request_id(), patient_id);
      },
      90s))
      << service->Output();

  klinik::v1::ScreeningCompleted c;
  for (auto& e : FactsFor(screenings_->seen(), patient_id)) {
    if (e.has_screening_completed()) c = e.screening_completed();
  }
  EXPECT_EQ(c.request_id(), s.request_id());
  EXPECT_EQ(c.age_years(), 40);
  EXPECT_EQ(c.sex(), klinik::v1::SEX_FEMALE);
  EXPECT_TRUE(c.ckg_eligible()) << c.eligibility_reason();
  EXPECT_EQ(c.eligibility_reason(), "ELIGIBLE");
  EXPECT_EQ(c.classification().bp_category(), klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_3);
  EXPECT_EQ(c.classification().glucose_category(), klinik::v1::GLUCOSE_CATEGORY_DIABETES_SUSPECTED);
  EXPECT_DOUBLE_EQ(c.classification().bmi_kg_m2(), 28.8);
  EXPECT_EQ(c.classification().bmi_category(), klinik::v1::BMI_CATEGORY_OBESE);
  EXPECT_TRUE(c.classification().central_obesity()) << "88 cm is above 80 cm for a woman";
  EXPECT_TRUE(c.referral_recommended());
  EXPECT_EQ(c.referral_urgency(), klinik::v1::URGENCY_URGENT) << "systolic >= 180";
  // Obesity counts because other findings accompany it; central obesity alone would not.
  EXPECT_THAT(c.referral_reason_codes(),
              ElementsAre("HYPERTENSION_GRADE_3", "GLUCOSE_DIABETES_SUSPECTED", "OBESE"));
  std::vector<std::string> findings;
  for (const auto& f : c.findings()) {
    findings.push_back(f.code() + "/" + f.icd10());
    EXPECT_EQ(f.ilp_cluster(), klinik::v1::ILP_CLUSTER_K3);
  }
  EXPECT_THAT(findings, ElementsAre("HYPERTENSION_GRADE_3/I10", "GLUCOSE_DIABETES_SUSPECTED/R73.9",
                                    "OBESE/E66.9", "CENTRAL_OBESITY/"));

  EXPECT_EQ(rejected_for(unknown.request_id(), unknown.patient_id())->reasons(0).code(),
            "PATIENT_UNKNOWN");
  auto typo_rejected = rejected_for(typo.request_id(), patient_id);
  EXPECT_EQ(typo_rejected->reasons(0).code(), "IMPLAUSIBLE_VALUE");
  EXPECT_EQ(typo_rejected->reasons(0).field(), "measurements.weight_kg");

  // The same screening over gRPC, and the eligibility it used up.
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(screening_grpc_port_),
                                     grpc::InsecureChannelCredentials());
  auto client = klinik::v1::ScreeningService::NewStub(channel);
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    klinik::v1::GetScreeningRequest req;
    req.set_screening_id(s.screening_id());
    klinik::v1::GetScreeningResponse resp;
    grpc::Status st = client->GetScreening(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_EQ(resp.screening().referral_reason_codes_size(), 3);
    EXPECT_EQ(resp.screening().classification().bp_category(),
              klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_3);
  }
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 10s);
    klinik::v1::CheckEligibilityRequest req;
    req.set_patient_id(patient_id);
    req.set_date(
        klinik::FormatCivilDate(klinik::ToCivilDate(klinik::Clock::now() + std::chrono::hours(7))));
    klinik::v1::CheckEligibilityResponse resp;
    grpc::Status st = client->CheckEligibility(&ctx, req, &resp);
    ASSERT_TRUE(st.ok()) << st.error_message();
    EXPECT_FALSE(resp.eligible());
    EXPECT_EQ(resp.reason(), "ALREADY_SCREENED_THIS_YEAR");
    EXPECT_EQ(resp.window_start(), req.date());
  }
  int status = 0;
  std::string metrics = kt::HttpGet(screening_http_port_, "/metrics", &status);
  EXPECT_THAT(metrics, HasSubstr("klinik_screenings_total{outcome=\"completed\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("klinik_screenings_total{outcome=\"rejected\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("klinik_ckg_eligibility_total{eligible=\"true\"} 1"));
  EXPECT_THAT(metrics, HasSubstr("klinik_referrals_recommended_total{urgency=\"urgent\"} 1"));
  service->Signal(SIGTERM);
  EXPECT_EQ(service->Wait(30s), 0) << service->Output();
}

TEST_P(ScreeningComponent, RegistrationDownTheSubmissionWaitsAndIsProcessedOnceItIsBack) {
  auto registration = StartRegistration();
  std::string patient_id = RegisterPatient(*registration);
  ASSERT_FALSE(patient_id.empty());
  registration->Signal(SIGKILL);
  EXPECT_EQ(registration->Wait(10s), 128 + SIGKILL);
  registration.reset();

  auto service = StartScreening();
  klinik::v1::SubmitScreening s = Submission(patient_id);
  Submit(s);
  // The partition pauses and retries: the service reports not ready, and nothing is decided.
  int status = 0;
  ASSERT_TRUE(kt::WaitUntil(
      [&] {
        kt::HttpGet(screening_http_port_, "/readyz", &status);
        return status == 503 &&
               service->Output().find("transient failure; partition paused") != std::string::npos;
      },
      60s))
      << service->Output();
  screenings_->Drain(1s);
  EXPECT_TRUE(FactsFor(screenings_->seen(), patient_id).empty())
      << "not rejected while registration is down";

  registration = StartRegistration();  // same port, same database
  ASSERT_TRUE(WaitForCompleted(patient_id, s.screening_id(), 90s)) << service->Output();
  ASSERT_TRUE(kt::WaitUntil(
      [&] {
        kt::HttpGet(screening_http_port_, "/readyz", &status);
        return status == 200;
      },
      30s));
  screenings_->Drain(1s);
  EXPECT_EQ(FactsFor(screenings_->seen(), patient_id).size(), 1u)
      << "exactly one fact, nothing lost or doubled";
  EXPECT_TRUE(FactsFor(screenings_->seen(), patient_id)[0].screening_completed().ckg_eligible());
}

TEST_P(ScreeningComponent, RedeliveryPublishesNoDuplicateFact) {
  auto registration = StartRegistration();
  std::string patient_id = RegisterPatient(*registration);
  ASSERT_FALSE(patient_id.empty());
  auto service = StartScreening();

  klinik::v1::SubmitScreening s = Submission(patient_id);
  std::string ce_id = klinik::NewUuid();
  Submit(s, ce_id);
  Submit(s, ce_id);  // the broker redelivers the same event
  Submit(s);         // the app re-sends the same screening under a new ce_id
  klinik::v1::SubmitScreening marker = Submission(patient_id);
  marker.mutable_measurements()->set_systolic_mmhg(118);
  marker.mutable_measurements()->set_diastolic_mmhg(76);
  Submit(marker);  // same key, so it is processed after the three above

  ASSERT_TRUE(WaitForCompleted(patient_id, marker.screening_id(), 90s)) << service->Output();
  screenings_->Drain(1s);
  EXPECT_EQ(CompletedCount(patient_id, s.screening_id()), 1);
  EXPECT_EQ(FactsFor(screenings_->seen(), patient_id).size(), 2u);

  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(screening_grpc_port_),
                                     grpc::InsecureChannelCredentials());
  auto client = klinik::v1::ScreeningService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + 10s);
  klinik::v1::ListScreeningsRequest req;
  req.set_patient_id(patient_id);
  klinik::v1::ListScreeningsResponse resp;
  ASSERT_TRUE(client->ListScreenings(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.screenings_size(), 2);
  int status = 0;
  EXPECT_THAT(kt::HttpGet(screening_http_port_, "/metrics", &status),
              HasSubstr("klinik_events_consumed_total{outcome=\"duplicate\",topic=\"" +
                        screening_intake_ + "\"} 1"));
}

// A bad value stops the binary before it consumes anything: exit 2 and a line naming the variable.
TEST(ScreeningConfig, BadValuesExitNamingTheVariable) {
  for (const auto& [variable, value] : std::vector<std::pair<std::string, std::string>>{
           {"KLINIK_LOCAL_UTC_OFFSET", "+15:00"},
           {"KLINIK_REFERRAL_URGENT_SYSTOLIC_MMHG", "lots"},
           {"KLINIK_REGISTRATION_ADDRESS", ""}}) {
    std::map<std::string, std::string> env = {
        {"KLINIK_DATABASE_URL", kt::FreshSqliteDatabase()},
        {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
        {"KLINIK_REGISTRATION_ADDRESS", "127.0.0.1:1"}};
    env[variable] = value;
    kt::ChildProcess service(kt::BinaryPath("services/screening/screening"), {}, env);
    EXPECT_EQ(service.Wait(30s), 2) << service.Output();
    // Start-up logs (migrations) may precede it on stdout; the error is one stderr line.
    EXPECT_THAT(service.Output(), HasSubstr("screening: " + variable + ": "));
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ScreeningComponent, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace screening
