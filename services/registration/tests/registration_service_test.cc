// The registration binary as a child process against real Kafka and both storage backends:
// facts on klinik.patients.v1, the register behind PatientDirectory, one patient per NIK across
// two service instances, redelivery, grpcurl through reflection, configuration errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <map>
#include <set>
#include <sstream>

#include "klinik/cloudevents.h"
#include "klinik/event_types.h"
#include "klinik/grpc.h"
#include "klinik/kafka.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/registration.grpc.pb.h"
#include "test_support.h"

namespace registration {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
namespace kt = klinik::testing;

std::string Binary() { return kt::BinaryPath("services/registration/registration"); }

struct Fact {
  std::string key;
  std::string ce_type;
  std::string ce_id;
  klinik::v1::PatientEvent event;

  [[nodiscard]] std::string request_id() const {
    switch (event.kind_case()) {
      case klinik::v1::PatientEvent::kPatientRegistered:
        return event.patient_registered().request_id();
      case klinik::v1::PatientEvent::kRegistrationMatched:
        return event.registration_matched().request_id();
      case klinik::v1::PatientEvent::kPatientUpdated:
        return event.patient_updated().request_id();
      case klinik::v1::PatientEvent::kRegistrationRejected:
        return event.registration_rejected().request_id();
      default:
        return {};
    }
  }
};

// Follows klinik.patients.v1 (shared by every test of the run) from the beginning with one
// consumer for the whole test, keeping only the facts about this test's request ids.
class FactReader {
 public:
  explicit FactReader(std::string request_prefix)
      : prefix_(std::move(request_prefix)),
        consumer_(kt::KafkaTestSettings(), kt::UniqueName("registration-test-reader"),
                  {std::string(klinik::topics::kPatients)}) {}
  ~FactReader() { consumer_.Close(); }

  // Waits until `done` holds for the facts of request `request_id`.
  bool WaitFor(const std::string& request_id,
               const std::function<bool(const std::vector<Fact>&)>& done,
               std::chrono::milliseconds timeout = 60s) {
    return kt::WaitUntil(
        [&] {
          Poll();
          return done(by_request_[request_id]);
        },
        timeout);
  }
  bool WaitForCount(const std::string& request_id, size_t n) {
    return WaitFor(request_id, [n](const std::vector<Fact>& f) { return f.size() >= n; });
  }
  std::vector<Fact> Of(const std::string& request_id) {
    Poll();
    return by_request_[request_id];
  }

 private:
  // A fact published twice with the same ce_id is one fact: that is how the outbox relay's
  // at-least-once delivery reads to every consumer (their inbox drops the copy). Two processes on
  // one SQLite file both relay the shared outbox, so copies do occur there.
  void Poll() {
    for (auto& m : consumer_.PollBatch(1000, 100ms)) {
      Fact f{m.key,
             klinik::FindHeader(m.headers, "ce_type").value_or(""),
             klinik::FindHeader(m.headers, "ce_id").value_or(""),
             {}};
      if (!f.event.ParseFromString(m.value) || !seen_.insert(f.ce_id).second) continue;
      std::string id = f.request_id();
      if (id.starts_with(prefix_)) by_request_[id].push_back(std::move(f));
    }
  }

  std::string prefix_;
  klinik::Consumer consumer_;
  std::map<std::string, std::vector<Fact>> by_request_;
  std::set<std::string> seen_;
};

class RegistrationService : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    intake_ = kt::UniqueName("test.registration.intake");
    kt::CreateTopics({intake_});
    kt::CreateTopics(
        {std::string(klinik::topics::kPatients), std::string(klinik::topics::kDeadLetter)});
    url_ = testing::FreshDatabase(GetParam());
    run_ = klinik::NewUuid().substr(0, 8) + "-";
    producer_ = std::make_unique<klinik::Producer>(kt::KafkaTestSettings());
    facts_ = std::make_unique<FactReader>(run_);
  }

  std::map<std::string, std::string> Env(const std::string& group_suffix = "") {
    return {
        {"KLINIK_DATABASE_URL", url_},
        {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
        {"KLINIK_CONSUMER_GROUP", "registration-" + intake_ + group_suffix},
        {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_REGISTRATION_INTAKE_TOPIC", intake_},
        {"KLINIK_RETRY_INITIAL", "50ms"},
        {"KLINIK_SHUTDOWN_TIMEOUT", "15s"},
    };
  }

  // Request ids carry this run's prefix, so facts of other tests on the shared topic are ignored.
  std::string Id(const std::string& name) { return run_ + name; }

  void Send(const klinik::v1::RegistrationIntake& intake, const std::string& key,
            const std::string& ce_id = klinik::NewUuid()) {
    bool is_register = intake.has_register_patient();
    klinik::OutgoingMessage m{intake_, key, intake.SerializeAsString(), {}};
    klinik::CloudEvent ce =
        klinik::NewCloudEvent(std::string(klinik::CeTypeOf(intake)), "/test/app",
                              is_register ? intake.register_patient().request_id()
                                          : intake.update_contact().request_id());
    ce.id = ce_id;
    klinik::AppendCloudEventHeaders(ce, m.headers);
    auto r = producer_->SendSync(m, 30s);
    ASSERT_TRUE(r.ok) << r.error;
  }
  void Register(const klinik::v1::RegisterPatient& r,
                const std::string& ce_id = klinik::NewUuid()) {
    klinik::v1::RegistrationIntake intake;
    *intake.mutable_register_patient() = r;
    Send(intake, r.nik().empty() ? r.mother_nik() : r.nik(), ce_id);
  }

  int64_t Rows(const std::string& where = "1 = 1") {
    auto db = klinik::Database::Open(url_, 1);
    return db->Read([&](klinik::Transaction& tx) {
      return tx.Query("SELECT COUNT(*) FROM registration_patients WHERE " + where).front().Int(0);
    });
  }

  static std::unique_ptr<klinik::v1::PatientDirectory::Stub> Directory(int port) {
    return klinik::v1::PatientDirectory::NewStub(
        klinik::MakeClientChannel("127.0.0.1:" + std::to_string(port)));
  }

  static void Stop(kt::ChildProcess& service) {
    service.Signal(SIGTERM);
    EXPECT_EQ(service.Wait(30s), 0) << service.Output();
  }

  std::string intake_, url_, run_;
  std::unique_ptr<klinik::Producer> producer_;
  std::unique_ptr<FactReader> facts_;
};

TEST_P(RegistrationService, RegisterPublishesTheFactAndTheDirectoryReturnsThePatient) {
  kt::ChildProcess service(Binary(), {}, Env());
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, &grpc_port, &http_port)) << service.Output();

  auto request = testing::Registration(Id("new"), 101, "Siti Aminah");
  Register(request);
  ASSERT_TRUE(facts_->WaitForCount(Id("new"), 1)) << service.Output();
  Fact fact = facts_->Of(Id("new")).at(0);
  ASSERT_TRUE(fact.event.has_patient_registered());
  const auto& registered = fact.event.patient_registered();
  EXPECT_EQ(fact.ce_type, testing::types::kPatientRegistered);
  EXPECT_EQ(fact.key, registered.patient_id());
  EXPECT_EQ(registered.nik(), request.nik());
  EXPECT_EQ(registered.village_code(), "64.72.04.1004");

  auto directory = Directory(grpc_port);
  klinik::v1::GetPatientRequest get;
  get.set_patient_id(registered.patient_id());
  klinik::v1::GetPatientResponse got;
  auto ctx = klinik::ContextWithDeadline(5s);
  ASSERT_TRUE(directory->GetPatient(ctx.get(), get, &got).ok());
  EXPECT_EQ(got.patient().nik(), request.nik());
  EXPECT_EQ(got.patient().full_name(), "Siti Aminah");
  EXPECT_EQ(got.patient().phone(), "081234567890");

  // A contact change, and one for a patient nobody registered.
  klinik::v1::RegistrationIntake update;
  update.mutable_update_contact()->set_request_id(Id("update"));
  update.mutable_update_contact()->set_patient_id(registered.patient_id());
  update.mutable_update_contact()->set_clinic_id("clinic-b");
  update.mutable_update_contact()->set_phone("+6281299990000");
  Send(update, request.nik());
  klinik::v1::RegistrationIntake unknown = update;
  unknown.mutable_update_contact()->set_request_id(Id("unknown"));
  unknown.mutable_update_contact()->set_patient_id(klinik::NewUuid());
  Send(unknown, request.nik());
  ASSERT_TRUE(facts_->WaitForCount(Id("unknown"), 1)) << service.Output();
  ASSERT_TRUE(facts_->WaitForCount(Id("update"), 1));
  Fact updated = facts_->Of(Id("update")).at(0);
  ASSERT_TRUE(updated.event.has_patient_updated());
  EXPECT_EQ(updated.event.patient_updated().changed_fields(0), "phone");
  Fact refused = facts_->Of(Id("unknown")).at(0);
  ASSERT_TRUE(refused.event.has_registration_rejected());
  EXPECT_EQ(refused.event.registration_rejected().reasons(0).code(), "PATIENT_UNKNOWN");
  ctx = klinik::ContextWithDeadline(5s);
  ASSERT_TRUE(directory->GetPatient(ctx.get(), get, &got).ok());
  EXPECT_EQ(got.patient().phone(), "+6281299990000");

  // An invalid registration is refused with its reasons, keyed by the request id.
  auto invalid = testing::Registration(Id("invalid"), 102);
  invalid.set_birth_date("2030-01-01");
  invalid.set_nik("6472041506900000");
  Register(invalid);
  ASSERT_TRUE(facts_->WaitForCount(Id("invalid"), 1));
  Fact rejected = facts_->Of(Id("invalid")).at(0);
  ASSERT_TRUE(rejected.event.has_registration_rejected());
  EXPECT_EQ(rejected.key, Id("invalid"));
  std::set<std::string> codes;
  for (const auto& r : rejected.event.registration_rejected().reasons()) codes.insert(r.code());
  EXPECT_EQ(codes, (std::set<std::string>{"NIK_SERIAL", "BIRTH_DATE_IN_FUTURE"}));

  int status = 0;
  std::string metrics;
  ASSERT_TRUE(kt::WaitUntil(
      [&] {
        metrics = kt::HttpGet(http_port, "/metrics", &status);
        return metrics.find(
                   "klinik_registrations_total{outcome=\"rejected\",reason=\"NIK_SERIAL\"} 1") !=
               std::string::npos;
      },
      10s))
      << metrics;
  EXPECT_THAT(metrics,
              HasSubstr("klinik_registrations_total{outcome=\"registered\",reason=\"none\"} 1"));
  EXPECT_THAT(metrics,
              HasSubstr("klinik_registrations_total{outcome=\"updated\",reason=\"none\"} 1"));
  EXPECT_THAT(
      metrics,
      HasSubstr("klinik_registrations_total{outcome=\"rejected\",reason=\"PATIENT_UNKNOWN\"} 1"));
  Stop(service);
  std::string logs = service.Output();
  EXPECT_EQ(logs.find(request.nik()), std::string::npos) << "logs never show a NIK";
  EXPECT_EQ(logs.find("Siti Aminah"), std::string::npos) << "logs never show a name";
}

TEST_P(RegistrationService, DuplicateIsMatchedAndConflictIsRejectedWithOneRowLeft) {
  kt::ChildProcess service(Binary(), {}, Env());
  Register(testing::Registration(Id("first"), 201, "Budi Santoso", "clinic-a"));
  Register(testing::Registration(Id("again"), 201, "Budi Santoso", "clinic-b"));
  auto conflicting = testing::Registration(Id("conflict"), 201);
  conflicting.set_birth_date("1990-06-16");
  Register(conflicting);
  ASSERT_TRUE(facts_->WaitForCount(Id("conflict"), 1)) << service.Output();
  ASSERT_TRUE(facts_->WaitForCount(Id("first"), 1));
  ASSERT_TRUE(facts_->WaitForCount(Id("again"), 1));

  Fact first = facts_->Of(Id("first")).at(0);
  Fact again = facts_->Of(Id("again")).at(0);
  Fact conflict = facts_->Of(Id("conflict")).at(0);
  ASSERT_TRUE(first.event.has_patient_registered());
  ASSERT_TRUE(again.event.has_registration_matched());
  EXPECT_EQ(again.ce_type, testing::types::kRegistrationMatched);
  EXPECT_EQ(again.event.registration_matched().patient_id(),
            first.event.patient_registered().patient_id());
  EXPECT_EQ(again.event.registration_matched().clinic_id(), "clinic-b");
  ASSERT_TRUE(conflict.event.has_registration_rejected());
  EXPECT_EQ(conflict.event.registration_rejected().reasons(0).code(), "NIK_CONFLICT");
  EXPECT_EQ(conflict.key, Id("conflict"));
  EXPECT_EQ(Rows(), 1);
  Stop(service);
}

TEST_P(RegistrationService, RedeliveredIntakeEventPublishesNoSecondFact) {
  kt::ChildProcess service(Binary(), {}, Env());
  auto request = testing::Registration(Id("once"), 301);
  std::string ce_id = klinik::NewUuid();
  Register(request, ce_id);
  Register(request, ce_id);  // the app's producer retried after a lost acknowledgement
  // Same key, so same partition and order: once the marker's fact is out, so is any duplicate's.
  auto marker = testing::Registration(Id("marker"), 301);
  Register(marker);
  ASSERT_TRUE(facts_->WaitForCount(Id("marker"), 1)) << service.Output();
  auto once = facts_->Of(Id("once"));
  ASSERT_EQ(once.size(), 1u);
  EXPECT_TRUE(once[0].event.has_patient_registered());
  EXPECT_TRUE(facts_->Of(Id("marker")).at(0).event.has_registration_matched());
  EXPECT_EQ(Rows(), 1);
  Stop(service);
}

// Two instances with their own consumer groups read the same intake topic and write to one
// database: every registration is processed twice at about the same time, as by two replicas
// that both received the same NIK. Exactly one patient per NIK must come out.
TEST_P(RegistrationService, TwoInstancesRegisteringTheSameNiksCreateOnePatientEach) {
  // B starts once A has migrated the schema: the platform's Database::Migrate is not yet safe
  // for two processes creating its own bookkeeping table at the same moment on PostgreSQL.
  kt::ChildProcess a(Binary(), {}, Env("-a"));
  int http_a = 0, http_b = 0;
  ASSERT_TRUE(a.WaitForPorts(60s, nullptr, &http_a)) << a.Output();
  kt::ChildProcess b(Binary(), {}, Env("-b"));
  ASSERT_TRUE(b.WaitForPorts(60s, nullptr, &http_b)) << b.Output();
  // Warm up: both instances have joined and caught up once both have answered this one.
  Register(testing::Registration(Id("warmup"), 400));
  ASSERT_TRUE(facts_->WaitForCount(Id("warmup"), 2)) << a.Output() << b.Output();

  constexpr int kNiks = 24;
  for (int i = 0; i < kNiks; ++i)
    Register(testing::Registration(Id("n" + std::to_string(i)), 401 + i));
  for (int i = 0; i < kNiks; ++i) {
    std::string id = Id("n" + std::to_string(i));
    ASSERT_TRUE(facts_->WaitForCount(id, 2)) << id << "\n" << a.Output() << b.Output();
    auto facts = facts_->Of(id);
    ASSERT_EQ(facts.size(), 2u) << id;
    int registered = 0;
    std::set<std::string> patient_ids;
    for (const Fact& f : facts) {
      if (f.event.has_patient_registered()) {
        ++registered;
        patient_ids.insert(f.event.patient_registered().patient_id());
      } else {
        ASSERT_TRUE(f.event.has_registration_matched()) << id;
        patient_ids.insert(f.event.registration_matched().patient_id());
      }
    }
    EXPECT_EQ(registered, 1) << id;
    EXPECT_EQ(patient_ids.size(), 1u) << id << ": the matched fact names the registered patient";
  }
  EXPECT_EQ(Rows(), kNiks + 1);
  // How often the database refused a racing INSERT (the retried events); informative only,
  // since the scheduler decides whether two instances collide.
  int status = 0;
  for (int port : {http_a, http_b}) {
    std::string metrics = kt::HttpGet(port, "/metrics", &status);
    for (size_t at = metrics.find("klinik_events_consumed_total{outcome=\"retry\"");
         at != std::string::npos; at = std::string::npos) {
      std::cout << "[ info ] " << metrics.substr(at, metrics.find('\n', at) - at) << "\n";
    }
  }
  Stop(a);
  Stop(b);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistrationService, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

std::string RunCommand(const std::string& command) {
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  std::string out;
  char buf[512];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

// What an operator does: list the services through reflection and call one with no .proto file.
TEST(RegistrationGrpc, GrpcurlListsTheDirectoryAndFindsAPatientByNik) {
  std::string grpcurl = kt::GrpcurlPath();
  ASSERT_FALSE(grpcurl.empty()) << "grpcurl not found (make deps installs it)";
  std::string intake = kt::UniqueName("test.registration.intake");
  kt::CreateTopics({intake, std::string(klinik::topics::kPatients)});
  std::string url = kt::FreshSqliteDatabase();
  kt::ChildProcess service(Binary(), {},
                           {{"KLINIK_DATABASE_URL", url},
                            {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
                            {"KLINIK_CONSUMER_GROUP", "registration-" + intake},
                            {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
                            {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
                            {"KLINIK_REGISTRATION_INTAKE_TOPIC", intake}});
  int grpc_port = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, &grpc_port, nullptr)) << service.Output();
  std::string target = " 127.0.0.1:" + std::to_string(grpc_port);

  std::string list = RunCommand(grpcurl + " -plaintext" + target + " list");
  EXPECT_THAT(list, HasSubstr("klinik.v1.PatientDirectory"));
  EXPECT_THAT(list, HasSubstr("grpc.health.v1.Health"));

  std::string request_id = "grpcurl-" + klinik::NewUuid();
  auto registration = testing::Registration(request_id, 501, "Dewi Lestari");
  klinik::v1::RegistrationIntake intake_message;
  *intake_message.mutable_register_patient() = registration;
  klinik::OutgoingMessage m{intake, registration.nik(), intake_message.SerializeAsString(), {}};
  klinik::AppendCloudEventHeaders(
      klinik::NewCloudEvent(std::string(klinik::CeTypeOf(intake_message)), "/test/app", request_id),
      m.headers);
  klinik::Producer producer(kt::KafkaTestSettings());
  ASSERT_TRUE(producer.SendSync(m, 30s).ok);

  std::string call = grpcurl + " -plaintext -d '{\"nik\":\"" + registration.nik() + "\"}'" +
                     target + " klinik.v1.PatientDirectory/FindPatientByNik";
  std::string found;
  ASSERT_TRUE(kt::WaitUntil(
      [&] {
        found = RunCommand(call);
        return found.find("Dewi Lestari") != std::string::npos;
      },
      60s))
      << found << service.Output();
  EXPECT_THAT(found, HasSubstr("\"village_code\": \"64.72.04.1004\""));
  EXPECT_THAT(found, HasSubstr(request_id));

  std::string malformed = RunCommand(grpcurl + " -plaintext -d '{\"nik\":\"123\"}'" + target +
                                     " klinik.v1.PatientDirectory/FindPatientByNik");
  EXPECT_THAT(malformed, HasSubstr("InvalidArgument"));
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0);
}

TEST(RegistrationSettings, BadIntakeTopicExitsWithOneLineNamingTheVariable) {
  kt::ChildProcess service(Binary(), {},
                           {{"KLINIK_DATABASE_URL", kt::FreshSqliteDatabase()},
                            {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
                            {"KLINIK_REGISTRATION_INTAKE_TOPIC", "no spaces allowed"}});
  EXPECT_EQ(service.Wait(20s), 2);
  // The platform has already opened and migrated the database when a service reads its own
  // variables, so JSON log lines may precede the error; the error itself is one plain line.
  std::istringstream out(service.Output());
  std::vector<std::string> plain;
  for (std::string line; std::getline(out, line);) {
    if (!line.starts_with("{")) plain.push_back(line);
  }
  ASSERT_EQ(plain.size(), 1u) << service.Output();
  EXPECT_THAT(plain[0], HasSubstr("KLINIK_REGISTRATION_INTAKE_TOPIC"));
}

}  // namespace
}  // namespace registration
