// The platform end to end, through a real service process (tally_service) on real Kafka and
// both storage backends: exactly-once across SIGKILL, dead letters, redelivery, configuration
// errors, health, metrics, gRPC health and reflection, graceful stop.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <set>

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
#include "klinik/v1/registration.pb.h"
#include "test_infra.h"

namespace klinik {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string TallyBinary() { return testing::BinaryPath("services/common/tests/tally_service"); }

OutgoingMessage Intake(const std::string& topic, const std::string& request_id,
                       const std::string& ce_id = NewUuid()) {
  v1::RegistrationIntake intake;
  intake.mutable_register_patient()->set_request_id(request_id);
  OutgoingMessage m{topic, request_id, intake.SerializeAsString(), {}};
  CloudEvent ce = NewCloudEvent("id.klinik.intake.register_patient.v1", "/test", request_id);
  ce.id = ce_id;
  AppendCloudEventHeaders(ce, m.headers);
  return m;
}

class TallyFixture : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    input_ = testing::UniqueName("test.tally.in");
    output_ = testing::UniqueName("test.tally.out");
    testing::CreateTopics({input_, output_});
    testing::CreateTopics({std::string(topics::kDeadLetter)});
    url_ = testing::FreshDatabase(GetParam());
    producer_ = std::make_unique<Producer>(testing::KafkaTestSettings());
  }

  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) {
    std::map<std::string, std::string> env = {
        {"KLINIK_DATABASE_URL", url_},
        {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", testing::KafkaBootstrap()},
        {"KLINIK_CONSUMER_GROUP", "tally-" + input_},
        {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
        {"KLINIK_TALLY_INPUT", input_},
        {"KLINIK_TALLY_OUTPUT", output_},
        {"KLINIK_RETRY_INITIAL", "100ms"},
        {"KLINIK_SHUTDOWN_TIMEOUT", "15s"},
        // A SIGKILLed member leaves no goodbye: the group waits a session timeout for it.
        {"KLINIK_KAFKA_SESSION_TIMEOUT_MS", "6000"},
        {"KLINIK_KAFKA_HEARTBEAT_INTERVAL_MS", "500"},
    };
    for (auto& [k, v] : extra) env[k] = v;
    return env;
  }

  void Send(const OutgoingMessage& m) {
    auto r = producer_->SendSync(m, 30s);
    ASSERT_TRUE(r.ok) << r.error;
  }

  Rows Tally() {
    auto db = Database::Open(url_, 1);
    return db->Read([](Transaction& tx) {
      return tx.Query("SELECT request_id, n FROM tally ORDER BY request_id");
    });
  }

  int64_t TallyCount() {
    try {
      return static_cast<int64_t>(Tally().size());
    } catch (const StorageError&) {
      return 0;  // not migrated yet
    }
  }

  std::string input_, output_, url_;
  std::unique_ptr<Producer> producer_;
};

TEST_P(TallyFixture, SigkillAfterDatabaseCommitBeforeOffsetCommitLosesAndDoublesNothing) {
  constexpr int kEvents = 30;
  for (int i = 0; i < kEvents; ++i) Send(Intake(input_, "req-" + std::to_string(100 + i)));

  // First run: killed right after its 10th database commit, before any offset commit.
  {
    testing::ChildProcess first(TallyBinary(), {},
                                Env({{"KLINIK_TEST_CRASH_AFTER_COMMITS", "10"}}));
    EXPECT_EQ(first.Wait(60s), 128 + SIGKILL) << first.Output();
  }
  EXPECT_EQ(TallyCount(), 10);

  // Second run: everything is redelivered (no offset was committed); the inbox skips the 10.
  testing::ChildProcess second(TallyBinary(), {}, Env());
  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == kEvents; }, 60s)) << second.Output();
  auto out = testing::ReadTopic(output_, kEvents, 60s);
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(30s), 0) << second.Output();

  Rows tally = Tally();
  ASSERT_EQ(tally.size(), static_cast<size_t>(kEvents));
  for (const Row& r : tally) EXPECT_EQ(r.Int(1), 1) << r.Text(0) << " applied more than once";

  // Every input produced exactly one fact: one ce_id per request (a re-send after a crash
  // between send and mark repeats the same ce_id, which consumers drop).
  std::map<std::string, std::set<std::string>> ce_ids_by_request;
  for (const auto& m : out) {
    v1::PatientEvent fact;
    ASSERT_TRUE(fact.ParseFromString(m.value));
    ce_ids_by_request[fact.registration_matched().request_id()].insert(
        *FindHeader(m.headers, "ce_id"));
  }
  EXPECT_EQ(ce_ids_by_request.size(), static_cast<size_t>(kEvents));
  for (const auto& [request, ids] : ce_ids_by_request) EXPECT_EQ(ids.size(), 1u) << request;
}

TEST_P(TallyFixture, FaultSigkillBetweenDeliveryAndMarkSentResendsWithTheSameCeIds) {
  constexpr int kEvents = 20;
  for (int i = 0; i < kEvents; ++i) Send(Intake(input_, "req-" + std::to_string(100 + i)));

  // First run: its relay is killed right after its first delivery reports, before it marks
  // the delivered rows sent.
  {
    testing::ChildProcess first(TallyBinary(), {},
                                Env({{"KLINIK_TEST_CRASH_AFTER_DELIVERY", "true"}}));
    EXPECT_EQ(first.Wait(60s), 128 + SIGKILL) << first.Output();
  }
  auto db = Database::Open(url_, 1);
  auto unsent = [&] {
    return db->Read([](Transaction& tx) {
      return tx.Query("SELECT COUNT(*) FROM klinik_outbox WHERE sent_at IS NULL").at(0).Int(0);
    });
  };
  int64_t unsent_after_kill = unsent();
  EXPECT_GT(unsent_after_kill, 0) << "delivered rows were left unmarked by the kill";
  EXPECT_FALSE(testing::ReadTopic(output_, 1, 30s).empty())
      << "the first run did deliver before it died";

  // Second run: the unmarked rows are sent again, with the ce_ids they had.
  testing::ChildProcess second(TallyBinary(), {}, Env());
  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == kEvents && unsent() == 0; }, 60s))
      << second.Output();
  // Everything is on the topic once no row is unsent (a row is marked after its delivery): read
  // it all, the first run's copies included.
  auto out = testing::ReadTopic(output_, 10 * kEvents, 10s);
  second.Signal(SIGTERM);
  EXPECT_EQ(second.Wait(30s), 0) << second.Output();
  std::map<std::string, std::set<std::string>> ce_ids_by_request;
  for (const auto& m : out) {
    v1::PatientEvent fact;
    ASSERT_TRUE(fact.ParseFromString(m.value));
    ce_ids_by_request[fact.registration_matched().request_id()].insert(
        *FindHeader(m.headers, "ce_id"));
  }
  EXPECT_GT(out.size(), static_cast<size_t>(kEvents)) << "some facts were published twice";
  EXPECT_EQ(ce_ids_by_request.size(), static_cast<size_t>(kEvents)) << "nothing lost";
  for (const auto& [request, ids] : ce_ids_by_request) {
    EXPECT_EQ(ids.size(), 1u) << request << ": a re-sent fact must keep its ce_id";
  }
}

TEST_P(TallyFixture, PeriodicTaskWakesAsSoonAsAConsumedEventCommits) {
  testing::ChildProcess service(TallyBinary(), {}, Env());
  int grpc = 0, http = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, &grpc, &http)) << service.Output();
  Send(Intake(input_, "wake-1"));
  // The sweep's interval is an hour: only the wake-up on commit brings it round in time.
  auto swept = [&] {
    try {
      auto db = Database::Open(url_, 1);
      return db->Read([](Transaction& tx) {
        return tx.Query("SELECT COUNT(*) FROM swept WHERE request_id = 'wake-1'").at(0).Int(0);
      });
    } catch (const StorageError&) {
      return int64_t{0};  // not migrated yet
    }
  };
  EXPECT_TRUE(testing::WaitUntil([&] { return swept() == 1; }, 30s)) << service.Output();
}

TEST_P(TallyFixture, PoisonMessageIsDeadLetteredAndTheNextOneIsStillProcessed) {
  testing::ChildProcess service(TallyBinary(), {}, Env());
  Send(Intake(input_, "good-1"));
  OutgoingMessage poison = Intake(input_, "poison");
  poison.value = std::string("\xff\xff\xff\xff\x0f", 5);  // not a protobuf message at all
  Send(poison);
  OutgoingMessage headerless{input_, "no-headers", Intake(input_, "no-headers").value, {}};
  Send(headerless);
  Send(Intake(input_, "good-2"));

  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == 2; }, 60s)) << service.Output();
  std::vector<ConsumedMessage> mine;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        mine.clear();
        for (auto& m : testing::ReadTopic(std::string(topics::kDeadLetter), 1000, 3s)) {
          if (FindHeader(m.headers, "dlq_origin_topic") == input_) mine.push_back(m);
        }
        return mine.size() == 2;
      },
      60s));
  std::set<std::string> keys;
  for (const auto& m : mine) {
    keys.insert(m.key);
    EXPECT_EQ(FindHeader(m.headers, "dlq_service"), "tally");
    EXPECT_TRUE(FindHeader(m.headers, "dlq_origin_partition"));
    EXPECT_TRUE(FindHeader(m.headers, "dlq_origin_offset"));
    EXPECT_TRUE(FindHeader(m.headers, "dlq_error"));
  }
  EXPECT_EQ(keys, (std::set<std::string>{"poison", "no-headers"}));
  auto poisoned = std::find_if(mine.begin(), mine.end(), [](auto& m) { return m.key == "poison"; });
  EXPECT_EQ(poisoned->value, poison.value) << "the original bytes are kept";
  EXPECT_THAT(*FindHeader(poisoned->headers, "dlq_error"), HasSubstr("RegistrationIntake"));
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0);
}

TEST_P(TallyFixture, PermanentStorageErrorIsRetriedAFewTimesThenDeadLettered) {
  testing::ChildProcess service(TallyBinary(), {}, Env({{"KLINIK_RETRY_MAX", "400ms"}}));
  Send(Intake(input_, "permanent-storage-error"));
  Send(Intake(input_, "after-it"));
  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == 1; }, 60s)) << service.Output();
  std::vector<ConsumedMessage> mine;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        mine.clear();
        for (auto& m : testing::ReadTopic(std::string(topics::kDeadLetter), 100000, 3s)) {
          if (FindHeader(m.headers, "dlq_origin_topic") == input_) mine.push_back(m);
        }
        return mine.size() == 1;
      },
      60s));
  EXPECT_EQ(mine[0].key, "permanent-storage-error");
  EXPECT_THAT(*FindHeader(mine[0].headers, "dlq_error"), HasSubstr("storage error"));
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0);
}

TEST_P(TallyFixture, RedeliveredEventWithTheSameCeIdChangesNothing) {
  testing::ChildProcess service(TallyBinary(), {}, Env());
  std::string ce_id = NewUuid();
  Send(Intake(input_, "once", ce_id));
  Send(Intake(input_, "once", ce_id));
  Send(Intake(input_, "marker"));
  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == 2; }, 60s)) << service.Output();
  auto out = testing::ReadTopic(output_, 3, 10s);
  EXPECT_EQ(out.size(), 2u);
  for (const Row& r : Tally()) EXPECT_EQ(r.Int(1), 1);
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0);
}

TEST_P(TallyFixture, TransientFailurePausesRetriesAndLosesNothing) {
  std::string block = testing::TempDir() + "/registration-down";
  std::ofstream(block) << "down";
  testing::ChildProcess service(
      TallyBinary(), {}, Env({{"KLINIK_TALLY_BLOCK_FILE", block}, {"KLINIK_RETRY_MAX", "500ms"}}));
  int http_port = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, nullptr, &http_port)) << service.Output();
  for (int i = 0; i < 5; ++i) Send(Intake(input_, "held-" + std::to_string(i)));
  int status = 0;
  // The dependency is down: nothing is applied and the service says it is not ready.
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        testing::HttpGet(http_port, "/readyz", &status);
        return status == 503;
      },
      30s));
  EXPECT_EQ(TallyCount(), 0);
  std::string metrics = testing::HttpGet(http_port, "/metrics", &status);
  EXPECT_THAT(metrics, HasSubstr("outcome=\"retry\""));
  // It comes back: every held event is applied exactly once and readiness returns.
  std::filesystem::remove(block);
  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == 5; }, 60s)) << service.Output();
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        testing::HttpGet(http_port, "/readyz", &status);
        return status == 200;
      },
      30s));
  for (const Row& r : Tally()) EXPECT_EQ(r.Int(1), 1);
  auto out = testing::ReadTopic(output_, 5, 30s);
  ASSERT_EQ(out.size(), 5u);
  std::set<std::string> published;
  for (const auto& m : out) {
    v1::PatientEvent fact;
    ASSERT_TRUE(fact.ParseFromString(m.value));
    published.insert(fact.registration_matched().request_id());
  }
  EXPECT_EQ(published, (std::set<std::string>{"held-0", "held-1", "held-2", "held-3", "held-4"}));
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0) << service.Output();
}

TEST_P(TallyFixture, ServesHealthReadinessMetricsAndStopsGracefully) {
  testing::ChildProcess service(TallyBinary(), {}, Env());
  int grpc_port = 0, http_port = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, &grpc_port, &http_port)) << service.Output();
  int status = 0;
  EXPECT_EQ(testing::HttpGet(http_port, "/healthz", &status), "ok\n");
  EXPECT_EQ(status, 200);
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        testing::HttpGet(http_port, "/readyz", &status);
        return status == 200;
      },
      30s));
  Send(Intake(input_, "m1"));
  ASSERT_TRUE(testing::WaitUntil([&] { return TallyCount() == 1; }, 60s));
  std::string metrics;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        metrics = testing::HttpGet(http_port, "/metrics", &status);
        return metrics.find("klinik_events_produced_total{outcome=\"ok\",topic=\"" + output_ +
                            "\"} 1") != std::string::npos;
      },
      30s))
      << metrics;
  EXPECT_THAT(metrics, HasSubstr("klinik_events_consumed_total{outcome=\"applied\",topic=\"" +
                                 input_ + "\"} 1"));
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        metrics = testing::HttpGet(http_port, "/metrics", &status);
        return metrics.find("klinik_consumer_lag{group=") != std::string::npos;
      },
      30s));
  for (const char* name : {"klinik_event_processing_seconds_bucket", "klinik_outbox_backlog",
                           "klinik_ready 1", "klinik_build_info"}) {
    EXPECT_THAT(metrics, HasSubstr(name));
  }
  auto start = std::chrono::steady_clock::now();
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(20s), 0) << service.Output();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 15s);
  EXPECT_THAT(service.Output(), HasSubstr("\"msg\":\"stopped\""));
}

INSTANTIATE_TEST_SUITE_P(Backends, TallyFixture, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(ServiceConfig, BadDatabaseUrlExitsWithOneLineNamingTheVariable) {
  testing::ChildProcess service(TallyBinary(), {}, {{"KLINIK_DATABASE_URL", "nonsense"}});
  EXPECT_EQ(service.Wait(20s), 2);
  std::string out = service.Output();
  EXPECT_THAT(out, HasSubstr("KLINIK_DATABASE_URL"));
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
}

TEST(ServiceConfig, BadFlagAndBadNumberAreNamed) {
  std::string db = testing::FreshSqliteDatabase();
  {
    testing::ChildProcess service(TallyBinary(), {"--batch-size=lots"},
                                  {{"KLINIK_DATABASE_URL", db}});
    EXPECT_EQ(service.Wait(20s), 2);
    EXPECT_THAT(service.Output(), HasSubstr("KLINIK_BATCH_SIZE"));
  }
  {
    testing::ChildProcess service(TallyBinary(), {"--kafka-acks=sometimes"},
                                  {{"KLINIK_DATABASE_URL", db}});
    EXPECT_EQ(service.Wait(20s), 2);
    EXPECT_THAT(service.Output(), HasSubstr("KLINIK_KAFKA_ACKS"));
  }
}

// grpcurl is the tool operators use: reflection lists the services with no .proto files, and
// grpc.health.v1 answers SERVING once the service is ready.
TEST(ServiceGrpc, HealthAndReflectionWorkWithGrpcurl) {
  std::string grpcurl = testing::GrpcurlPath();
  ASSERT_FALSE(grpcurl.empty()) << "grpcurl not found (make deps installs it)";
  std::string input = testing::UniqueName("test.tally.in");
  testing::CreateTopics({input});
  testing::ChildProcess service(TallyBinary(), {},
                                {{"KLINIK_DATABASE_URL", testing::FreshSqliteDatabase()},
                                 {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", testing::KafkaBootstrap()},
                                 {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
                                 {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
                                 {"KLINIK_TALLY_INPUT", input},
                                 {"KLINIK_TALLY_OUTPUT", input}});
  int grpc_port = 0;
  ASSERT_TRUE(service.WaitForPorts(60s, &grpc_port, nullptr)) << service.Output();
  auto run = [&](const std::string& args) {
    std::string cmd = grpcurl + " -plaintext " + args + " 2>&1";
    FILE* p = popen(cmd.c_str(), "r");
    std::string out;
    char buf[512];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
    return out;
  };
  std::string target = "127.0.0.1:" + std::to_string(grpc_port);
  EXPECT_THAT(run(target + " list"), HasSubstr("grpc.health.v1.Health"));
  // grpc.health.v1.Health/Check with an empty request; SERVING is field 1 = 1 (bytes 08 01).
  // Called without generated stubs: Debian ships no health.proto, and grpcurl would need it.
  auto channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  auto check = [&]() -> std::string {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + 5s);
    grpc::ByteBuffer request, response;
    grpc::Slice empty("");
    request = grpc::ByteBuffer(&empty, 1);
    std::promise<grpc::Status> done;
    stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                   [&](grpc::Status st) { done.set_value(st); });
    grpc::Status st = done.get_future().get();
    if (!st.ok()) return "error: " + st.error_message();
    std::vector<grpc::Slice> slices;
    (void)response.Dump(&slices);
    std::string bytes;
    for (auto& sl : slices) bytes.append(reinterpret_cast<const char*>(sl.begin()), sl.size());
    return bytes;
  };
  std::string health;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        health = check();
        return health == std::string("\x08\x01", 2);
      },
      30s))
      << "health answer bytes: " << health.size();
  service.Signal(SIGTERM);
  EXPECT_EQ(service.Wait(30s), 0);
}

}  // namespace
}  // namespace klinik
