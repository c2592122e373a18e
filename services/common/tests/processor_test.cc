// The consume loop in-process on real Kafka and both real backends: a consumed batch commits in
// one transaction, and a batch holding a message that needs more (a retry, a handler bug, a
// duplicate) still ends with every event applied exactly once and counted exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "klinik/cloudevents.h"
#include "klinik/outbox.h"
#include "klinik/processor.h"
#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "test_infra.h"

namespace klinik {
namespace {

using namespace std::chrono_literals;

// Applies "ok-*" values, throws on "boom", asks for a retry on "flaky" a number of times.
class ScriptedHandler : public EventHandler {
 public:
  // Remembers what it was given; throws when given "prepare-boom".
  void Prepare(const std::vector<InboundEvent>& events) override {
    ++prepares;
    prepared_.clear();
    for (const InboundEvent& e : events) prepared_.insert(e.ce.id);
    for (const InboundEvent& e : events) {
      if (e.message.value == "prepare-boom") throw std::runtime_error("lookup service down");
    }
  }
  HandleResult Handle(const InboundEvent& event, OutboxWriter& out) override {
    const std::string& v = event.message.value;
    if (prepared_.count(event.ce.id) == 0) ++unprepared;
    if (v == "boom") throw std::runtime_error("handler bug");
    if (v == "flaky" && flaky_failures_left > 0) {
      --flaky_failures_left;
      return HandleResult::Retry("dependency not ready");
    }
    Transaction& tx = out.tx();
    std::string txid = tx.dialect() == Dialect::kPostgres
                           ? tx.Query("SELECT txid_current()::text").at(0).Text(0)
                           : std::string();
    tx.Execute("INSERT INTO applied (value, txid) VALUES ($1, $2)", {v, txid});
    out.AfterCommit([this] { ++counted; });
    ++handled;
    return HandleResult::Applied();
  }
  std::atomic<int> flaky_failures_left{0};
  std::atomic<int> handled{0};  // calls that applied, including ones rolled back later
  std::atomic<int> counted{0};  // AfterCommit callbacks run
  std::atomic<int> prepares{0};
  std::atomic<int> unprepared{0};  // Handle calls for an event the last Prepare did not name

 private:
  std::set<std::string> prepared_;
};

class ProcessorTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = testing::FreshDatabase(GetParam());
    db_ = Database::Open(url_, 4);
    db_->Migrate("klinik_platform", PlatformMigrations());
    db_->Migrate("test", {{1, "applied",
                           "CREATE TABLE applied (value TEXT PRIMARY KEY, txid TEXT NOT NULL)"}});
    topic_ = testing::UniqueName("processor-test");
    testing::CreateTopics({topic_}, 3);
    producer_ = std::make_unique<Producer>(testing::KafkaTestSettings());
  }

  // Publishes `value` with CloudEvents headers; `ce_id` repeats an id to make a duplicate.
  void Send(const std::string& key, const std::string& value, const std::string& ce_id = {}) {
    CloudEvent ce = NewCloudEvent("id.klinik.test.v1", "/test", key);
    if (!ce_id.empty()) ce.id = ce_id;
    OutgoingMessage m{topic_, key, value, {}};
    AppendCloudEventHeaders(ce, m.headers);
    ASSERT_TRUE(producer_->SendSync(m, 10s).ok);
  }

  // Runs the loop on everything sent until `done` holds (or 60 s pass), then stops it.
  void RunUntil(ScriptedHandler& handler, const std::function<bool()>& done) {
    ProcessorOptions o;
    o.service = "processor-test";
    o.group_id = testing::UniqueName("processor-test");
    o.topics = {topic_};
    o.retry_initial = 50ms;
    o.retry_max = 200ms;
    KafkaSettings kafka = testing::KafkaTestSettings();
    kafka.properties["auto.offset.reset"] = "earliest";
    EventProcessor processor(o, kafka, *db_, handler, nullptr, nullptr);
    std::thread loop([&] { processor.Run(); });
    EXPECT_TRUE(testing::WaitUntil(done, 60s));
    processor.Stop();
    loop.join();
  }

  int64_t Count(const std::string& sql) {
    return db_->Read([&](Transaction& tx) { return tx.Query(sql).at(0).Int(0); });
  }

  std::string url_, topic_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Producer> producer_;
};

TEST_P(ProcessorTest, ABacklogCommitsInFarFewerTransactionsThanEvents) {
  constexpr int kEvents = 300;
  for (int i = 0; i < kEvents; ++i) Send("k" + std::to_string(i % 7), "ok-" + std::to_string(i));
  ScriptedHandler handler;
  RunUntil(handler, [&] { return Count("SELECT COUNT(*) FROM applied") == kEvents; });
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applied"), kEvents);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM klinik_inbox"), kEvents);
  EXPECT_EQ(handler.counted.load(), kEvents);
  if (GetParam() == "postgres") {
    // One transaction per consumed batch, not per event.
    EXPECT_LT(Count("SELECT COUNT(DISTINCT txid) FROM applied"), kEvents / 5);
  }
}

TEST_P(ProcessorTest, ARetryAHandlerBugAndADuplicateInOneBatchLoseAndDoubleNothing) {
  constexpr int kEvents = 120;
  std::string repeated_id = NewUuid();
  int expected_applied = 0;
  for (int i = 0; i < kEvents; ++i) {
    std::string key = "k" + std::to_string(i % 5);
    if (i == 30) {
      Send(key, "boom");
    } else if (i == 60) {
      Send(key, "flaky");
      ++expected_applied;
    } else if (i == 90 || i == 91) {
      // The same event delivered twice (a producer retry): applied once.
      Send(key, "ok-repeated", repeated_id);
      if (i == 90) ++expected_applied;
    } else {
      Send(key, "ok-" + std::to_string(i));
      ++expected_applied;
    }
  }
  ScriptedHandler handler;
  handler.flaky_failures_left = 2;
  RunUntil(handler, [&] {
    return Count("SELECT COUNT(*) FROM applied") == expected_applied &&
           Count("SELECT COUNT(*) FROM klinik_outbox WHERE topic = 'klinik.deadletter.v1'") == 1;
  });
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applied"), expected_applied);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applied WHERE value = 'flaky'"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM klinik_outbox WHERE topic = 'klinik.deadletter.v1'"), 1);
  EXPECT_EQ(handler.flaky_failures_left.load(), 0);
  // Batches rolled back and redone ran the handler more often than events were applied, but
  // only committed work was counted.
  EXPECT_GT(handler.handled.load(), expected_applied);
  EXPECT_EQ(handler.counted.load(), expected_applied);
}

TEST_P(ProcessorTest, EachBatchIsPreparedOnceBeforeItsTransactionAndAFailedPrepareLosesNothing) {
  constexpr int kEvents = 200;
  for (int i = 0; i < kEvents; ++i) {
    Send("k" + std::to_string(i % 3), i == 100 ? "prepare-boom" : "ok-" + std::to_string(i));
  }
  ScriptedHandler handler;
  RunUntil(handler, [&] { return Count("SELECT COUNT(*) FROM applied") == kEvents; });
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applied"), kEvents);
  EXPECT_EQ(handler.unprepared.load(), 0) << "an event was handled without being prepared";
  EXPECT_GT(handler.prepares.load(), 0);
  EXPECT_LT(handler.prepares.load(), kEvents / 5) << "prepared per event, not per batch";
}

INSTANTIATE_TEST_SUITE_P(Backends, ProcessorTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace klinik
