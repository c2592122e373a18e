// The consume loop in-process on real Kafka and both real backends: a consumed batch commits in
// one transaction, and a batch holding a message that needs more (a retry, a handler bug, a
// duplicate) still ends with every event applied exactly once and counted exactly once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "klinik/cloudevents.h"
#include "klinik/outbox.h"
#include "klinik/processor.h"
#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"
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
    testing::CreateTopics({std::string(topics::kDeadLetter)});
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

  // The loop's options for this test's topic, with a fresh group and quick retries.
  ProcessorOptions Options() {
    ProcessorOptions o;
    o.service = "processor-test";
    o.group_id = testing::UniqueName("processor-test");
    o.topics = {topic_};
    o.retry_initial = 50ms;
    o.retry_max = 200ms;
    return o;
  }

  // Runs the loop on everything sent until `done` holds (or 60 s pass), then stops it.
  void RunUntil(ScriptedHandler& handler, const std::function<bool()>& done) {
    ProcessorOptions o = Options();
    KafkaSettings kafka = testing::KafkaTestSettings();
    kafka.properties["auto.offset.reset"] = "earliest";
    EventProcessor processor(o, kafka, *db_, handler, nullptr, nullptr);
    std::thread loop([&] { processor.Run(); });
    EXPECT_TRUE(testing::WaitUntil(done, 60s));
    processor.Stop();
    loop.join();
  }

  // Reads klinik.deadletter.v1 from its start until a dead letter from `topic_` was seen at each
  // of `origins` (partition, offset); `cut` of them must say they were truncated.
  void ExpectDeadLettersOnKafka(const std::set<std::pair<int32_t, int64_t>>& origins, int cut) {
    KafkaSettings kafka = testing::KafkaTestSettings();
    Consumer consumer(kafka, testing::UniqueName("dead-letter-reader"),
                      {std::string(topics::kDeadLetter)});
    std::map<std::pair<int32_t, int64_t>, int> seen;
    int truncated = 0;
    auto deadline = std::chrono::steady_clock::now() + 90s;
    while (seen.size() < origins.size() && std::chrono::steady_clock::now() < deadline) {
      for (const ConsumedMessage& m : consumer.PollBatch(500, 500ms)) {
        if (FindHeader(m.headers, "dlq_origin_topic") != topic_) continue;
        std::pair<int32_t, int64_t> at{std::stoi(*FindHeader(m.headers, "dlq_origin_partition")),
                                       std::stoll(*FindHeader(m.headers, "dlq_origin_offset"))};
        if (++seen[at] == 1 && FindHeader(m.headers, "dlq_truncated")) ++truncated;
        EXPECT_EQ(FindHeader(m.headers, "dlq_service"), "processor-test");
        EXPECT_TRUE(FindHeader(m.headers, "dlq_error"));
      }
    }
    consumer.Close();
    for (const auto& at : origins) {
      EXPECT_EQ(seen[at], 1) << "partition " << at.first << " offset " << at.second;
    }
    EXPECT_EQ(seen.size(), origins.size()) << "a dead letter for a valid event";
    EXPECT_EQ(truncated, cut) << "each ~1 MB record's dead letter is cut to fit";
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

// Applies values "ok-<digits>"; dead-letters anything else, as a service does with
// a payload that does not decode.
class StrictHandler : public EventHandler {
 public:
  HandleResult Handle(const InboundEvent& event, OutboxWriter& out) override {
    const std::string& v = event.message.value;
    bool ok = v.size() > 3 && v.size() <= 16 && v.starts_with("ok-") &&
              v.find_first_not_of("0123456789", 3) == std::string::npos;
    if (!ok) return HandleResult::DeadLetter("not an ok value");
    out.tx().Execute("INSERT INTO applied (value, txid) VALUES ($1, '')", {v});
    return HandleResult::Applied();
  }
};

// Random records an upstream app (or a broken SDK) could send, among valid ones.
class HostileRecords {
 public:
  explicit HostileRecords(uint32_t seed) : rng_(seed) {}

  std::string Bytes(size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(rng_() & 0xff);
    // Always some of the bytes that break text handling: NUL, 0xFF, a lone continuation byte.
    if (n >= 3) {
      s[0] = '\xff';
      s[n / 2] = '\0';
      s[n - 1] = '\x80';
    }
    return s;
  }
  size_t Below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  // Fills `m` with record kind `kind`; true when it is a valid event the handler applies.
  bool Make(int kind, int i, const std::string& topic, OutgoingMessage& m) {
    m.topic = topic;
    m.key = "k" + std::to_string(i % 7);
    m.value = "ok-" + std::to_string(i);
    m.headers.clear();
    AppendCloudEventHeaders(NewCloudEvent("id.klinik.test.v1", "/test", m.key), m.headers);
    auto set = [&](const std::string& name, const std::string& value) {
      for (auto& [k, v] : m.headers) {
        if (k == name) v = value;
      }
    };
    switch (kind) {
      case 0:  // valid
        return true;
      case 1:  // valid, with binary extra headers (a name repeated)
        m.headers.emplace_back("x-bin", Bytes(1 + Below(64)));
        m.headers.emplace_back("x-bin", Bytes(1 + Below(8)));
        m.headers.emplace_back(Bytes(1 + Below(16)), Bytes(Below(32)));
        return true;
      case 2:  // valid, with a binary traceparent (a broken SDK)
        set("traceparent", Bytes(55));
        return true;
      case 3:  // valid, with a binary key
        m.key = Bytes(1 + Below(200));
        return true;
      case 4:  // the report of issue 14: garbage value and a header holding 0xFF
        m.headers.emplace_back("x-trace", "\xff");
        m.value = Bytes(1 + Below(512));
        return false;
      case 5:  // random headers only
        m.headers.clear();
        for (size_t h = Below(6); h > 0; --h)
          m.headers.emplace_back(Bytes(Below(20)), Bytes(Below(40)));
        m.key = Bytes(Below(30));
        m.value = Bytes(Below(300));
        return false;
      case 6:  // no headers at all
        m.headers.clear();
        return false;
      case 7:  // binary ce_id
        set("ce_id", Bytes(4 + Below(30)));
        return false;
      case 8:  // a 10 KB ce_id
        set("ce_id", std::string(10240, 'a'));
        return false;
      case 9:  // ce_id twice
        m.headers.emplace_back("ce_id", NewUuid());
        return false;
      case 10:  // a key over the bound
        m.key = Bytes(5000);
        return false;
      case 11:  // a value with NUL bytes
        m.value = std::string("ok-\0\0", 5) + Bytes(Below(20));
        return false;
      case 12:  // a value near the 1,000,000-byte limit: its dead letter must be cut to fit
        m.value = Bytes(999000);
        return false;
      case 13:  // binary ce_type and ce_source
        set("ce_type", Bytes(12));
        set("ce_source", Bytes(3));
        return false;
      default:
        return true;
    }
  }
  static constexpr int kKinds = 14;

 private:
  std::mt19937 rng_;
};

TEST_P(ProcessorTest, HostileEnvelopeFuzzEveryValidEventOnceEveryInvalidDeadLetteredLagZero) {
  uint32_t seed = std::random_device{}();
  if (const char* s = std::getenv("KLINIK_FUZZ_SEED")) seed = static_cast<uint32_t>(std::stoul(s));
  SCOPED_TRACE("KLINIK_FUZZ_SEED=" + std::to_string(seed));
  HostileRecords gen(seed);
  constexpr int kRecords = 300;
  std::set<std::string> valid_values;
  std::set<std::pair<int32_t, int64_t>> invalid_at;  // partition, offset
  int near_limit = 0;
  for (int i = 0; i < kRecords; ++i) {
    // Every kind at least once, then at random; valid events between them.
    int kind = i < HostileRecords::kKinds
                   ? i
                   : (i % 2 == 0 ? 0 : static_cast<int>(gen.Below(HostileRecords::kKinds)));
    if (kind == 12 && ++near_limit > 4) kind = 0;  // a few ~1 MB records are enough
    OutgoingMessage m;
    bool valid = gen.Make(kind, i, topic_, m);
    DeliveryResult r = producer_->SendSync(m, 30s);
    ASSERT_TRUE(r.ok) << "kind " << kind << ": " << r.error;
    if (valid) {
      valid_values.insert(m.value);
    } else {
      invalid_at.insert({r.partition, r.offset});
    }
  }

  StrictHandler handler;
  ProcessorOptions o = Options();
  EventProcessor processor(o, testing::KafkaTestSettings(), *db_, handler, nullptr, nullptr);
  Producer relay_producer(testing::KafkaTestSettings());
  OutboxRelay relay(*db_, relay_producer, nullptr, {.service = o.group_id});
  relay.Start();
  std::thread loop([&] { processor.Run(); });
  const int64_t expect_dead = static_cast<int64_t>(invalid_at.size());
  bool done = testing::WaitUntil(
      [&] {
        return Count("SELECT COUNT(*) FROM applied") == static_cast<int64_t>(valid_values.size()) &&
               Count("SELECT COUNT(*) FROM klinik_outbox WHERE topic = 'klinik.deadletter.v1'") ==
                   expect_dead;
      },
      120s);
  processor.Stop();
  loop.join();
  relay.Stop(30s);
  ASSERT_TRUE(done)
      << "applied " << Count("SELECT COUNT(*) FROM applied") << "/" << valid_values.size()
      << ", dead letters "
      << Count("SELECT COUNT(*) FROM klinik_outbox WHERE topic = 'klinik.deadletter.v1'") << "/"
      << expect_dead;

  // Every valid event exactly once (the table's key refuses a second), every invalid one parked.
  EXPECT_EQ(Count("SELECT COUNT(*) FROM applied"), static_cast<int64_t>(valid_values.size()));
  EXPECT_EQ(relay.Backlog(), 0) << "every dead letter was published";
  EXPECT_EQ(relay.Parked(), 0);
  EXPECT_EQ(testing::GroupLag(o.group_id, topic_), 0) << "the consumer group is at the end";

  // On klinik.deadletter.v1 (shared by every suite): one dead letter per invalid record, found
  // by its origin coordinates; the ~1 MB ones cut to the limit with a header saying so.
  ExpectDeadLettersOnKafka(invalid_at, std::min(near_limit, 4));
}

INSTANTIATE_TEST_SUITE_P(Backends, ProcessorTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace klinik
