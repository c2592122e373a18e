// Keeps the load generator honest without running a benchmark: what it reports delivered is on
// the topic, every message is a well-formed CloudEvent carrying the right intake message, the
// residents pass the registration rules, and a real registration service applies them all.
#include <gtest/gtest.h>
#include <signal.h>

#include <nlohmann/json.hpp>

#include "event_generator.h"
#include "klinik/cloudevents.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/screening.pb.h"
#include "proto_mapping.h"
#include "rate_sender.h"
#include "registration_validator.h"
#include "test_infra.h"

namespace {

namespace kt = klinik::testing;
using namespace std::chrono_literals;

TEST(LoadgenSmoke, CliDeliversValidRegistrationsItCounted) {
  std::string topic = kt::UniqueName("bench.smoke.registration");
  kt::ChildProcess cli(kt::BinaryPath("bench/klinik-loadgen"),
                       {"--bootstrap", kt::KafkaBootstrap(), "--kind", "registration", "--rate",
                        "200", "--duration", "3", "--topic", topic, "--create-topic", "3"},
                       {});
  ASSERT_EQ(cli.Wait(60s), 0) << cli.Output();
  std::string output = cli.Output();
  auto summary = nlohmann::json::parse(output.substr(output.rfind('{')));
  int64_t delivered = summary.at("delivered").get<int64_t>();
  EXPECT_EQ(delivered, 600);
  EXPECT_EQ(summary.at("failed").get<int64_t>(), 0);
  // Loose: the limiter must hold the rate, not time it.
  EXPECT_GE(summary.at("seconds").get<double>(), 2.5);

  auto messages = kt::ReadTopic(topic, static_cast<size_t>(delivered), 30s);
  ASSERT_EQ(static_cast<int64_t>(messages.size()), delivered);
  registration::RegistrationValidator validator(registration::TodayInIndonesia);
  for (const auto& m : messages) {
    std::string error;
    auto ce = klinik::ParseCloudEventHeaders(m.headers, &error);
    ASSERT_TRUE(ce) << error;
    EXPECT_EQ(ce->type, "id.klinik.intake.register_patient.v1");
    EXPECT_EQ(ce->source, loadgen::kSource);
    EXPECT_TRUE(klinik::ParseRfc3339(ce->time));
    EXPECT_EQ(klinik::FindHeader(m.headers, "content-type"), "application/protobuf");
    klinik::v1::RegistrationIntake intake;
    ASSERT_TRUE(intake.ParseFromString(m.value));
    ASSERT_TRUE(intake.has_register_patient());
    EXPECT_EQ(m.key, intake.register_patient().nik());
    for (const auto& [name, value] : m.headers)
      EXPECT_EQ(value.find(intake.register_patient().nik()), std::string::npos)
          << "a NIK must never be in a header (" << name << ")";
    auto result = validator.Validate(registration::FromProto(intake.register_patient()));
    EXPECT_TRUE(result.ok()) << intake.register_patient().request_id();
    EXPECT_TRUE(result.warnings.empty()) << intake.register_patient().request_id();
  }
}

TEST(LoadgenSmoke, NiksAreUniqueAndResidentsFoundByRequest) {
  loadgen::Population people({.size = 20000, .seed = 3});
  std::set<std::string> niks;
  for (int64_t i = 0; i < people.size(); i += 7) {
    loadgen::Resident r = people.at(i);
    EXPECT_TRUE(niks.insert(r.nik).second) << "resident " << i;
    EXPECT_EQ(people.IndexOfRequest(r.registration_request_id()), i);
  }
}

TEST(LoadgenSmoke, ScreeningsAndPharmacyDecodeIntoTheirIntake) {
  loadgen::Population people({.size = 100, .seed = 3});
  std::mt19937_64 rng(1);
  std::string id = klinik::NewUuid();
  auto m = loadgen::ScreeningMessage({klinik::NewUuid(), people.at(5)}, id, rng);
  klinik::v1::ScreeningIntake screening;
  ASSERT_TRUE(screening.ParseFromString(m.value));
  EXPECT_EQ(screening.submit_screening().screening_id(), id);
  EXPECT_EQ(m.key, screening.submit_screening().patient_id());

  loadgen::PharmacyStream stream({}, 2, 1, 5);
  int deliveries = 0, dispenses = 0;
  for (int i = 0; i < 40; ++i) {
    klinik::v1::PharmacyIntake p;
    auto msg = stream.Next();
    ASSERT_TRUE(p.ParseFromString(msg.value));
    deliveries += p.has_receive_stock();
    dispenses += p.has_dispense_medication();
    EXPECT_EQ(msg.key, p.has_receive_stock() ? p.receive_stock().clinic_id()
                                             : p.dispense_medication().clinic_id());
  }
  // Per clinic, 20 messages in rounds of 3 deliveries and 5 dispenses: 9 deliveries, 11 dispenses.
  EXPECT_EQ(deliveries, 18);
  EXPECT_EQ(dispenses, 22);
}

TEST(LoadgenSmoke, RegistrationServiceAppliesEveryGeneratedRegistration) {
  std::string topic = kt::UniqueName("bench.smoke.intake");
  kt::CreateTopics({topic, "klinik.patients.v1", "klinik.deadletter.v1"});
  kt::ChildProcess service(kt::BinaryPath("services/registration/registration"), {},
                           {{"KLINIK_DATABASE_URL", kt::FreshPostgresDatabase()},
                            {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", kt::KafkaBootstrap()},
                            {"KLINIK_CONSUMER_GROUP", kt::UniqueName("bench-smoke")},
                            {"KLINIK_REGISTRATION_INTAKE_TOPIC", topic},
                            {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
                            {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"}});
  int http = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, nullptr, &http)) << service.Output();

  klinik::KafkaSettings settings = kt::KafkaTestSettings();
  loadgen::RateSender sender(settings, 0);
  loadgen::Population people({.size = 300, .seed = 99});
  for (int64_t i = 0; i < people.size(); ++i) {
    auto m = loadgen::RegistrationMessage(people.at(i));
    m.topic = topic;
    sender.Send(m);
  }
  ASSERT_EQ(sender.Finish().delivered, 300);

  std::string metrics;
  auto applied = [&] {
    int status = 0;
    metrics = kt::HttpGet(http, "/metrics", &status);
    std::string want = "outcome=\"applied\",topic=\"" + topic + "\"} 300";
    return metrics.find(want) != std::string::npos;
  };
  EXPECT_TRUE(kt::WaitUntil(applied, 60s)) << metrics;
  EXPECT_EQ(metrics.find("outcome=\"rejected\""), std::string::npos);
  service.Signal(SIGTERM);
  service.Wait(20s);
}

}  // namespace
