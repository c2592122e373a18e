// The outbox relay under producer faults, on real Kafka and both real backends (issue 14): a row
// the producer refuses for good is parked and the rows behind it keep flowing, except those of
// the same key, which wait so order per key holds; a fatal producer error recreates the
// producer; a transient refusal is retried and makes the relay unhealthy while it lasts. The
// refusals are real librdkafka ones where librdkafka can be made to give them here (a message
// over message.max.bytes, a fatal idempotence error); the rest are injected by a producer that
// refuses chosen rows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <optional>

#include "klinik/cloudevents.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/storage.h"
#include "test_infra.h"

namespace klinik {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

// The real producer, except that it raises a real fatal error before sending the row whose
// value is `fatal_before`, and refuses rows for which `refuse` names a class.
class FaultyProducer : public Producer {
 public:
  using Producer::Producer;
  bool Send(const OutgoingMessage& m, std::function<void(const DeliveryResult&)> on_delivery,
            std::string* error, SendErrorClass* error_class) override {
    sent_values.push_back(m.value.size() > 64 ? "<big>" : m.value);
    if (!fatal_before.empty() && m.value == fatal_before) {
      fatal_before.clear();
      TriggerFatalErrorForTesting("injected by the test");
    }
    if (refuse) {
      if (std::optional<SendErrorClass> c = refuse(m)) {
        if (error) *error = "injected refusal";
        if (error_class) *error_class = *c;
        return false;
      }
    }
    return Producer::Send(m, std::move(on_delivery), error, error_class);
  }
  std::function<std::optional<SendErrorClass>(const OutgoingMessage&)> refuse;
  std::string fatal_before;
  std::vector<std::string> sent_values;  // every value offered, refused or not
};

class RelayFault : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    db_ = Database::Open(testing::FreshDatabase(GetParam()), 4);
    db_->Migrate("klinik_platform", PlatformMigrations());
    topic_ = testing::UniqueName("test.relay-fault");
    // The relay's PostgreSQL lock is named after its service; suites share one server.
    service_ = testing::UniqueName("relay-test");
    testing::CreateTopics({topic_}, 3);
  }

  // One outbox row per value, in order, keyed `key`; returns their ce_ids.
  std::vector<std::string> Write(const std::string& key, const std::vector<std::string>& values,
                                 const std::string& topic = {}) {
    std::vector<std::string> ids;
    db_->InTransaction([&](Transaction& tx) {
      OutboxWriter out(tx, "/klinik/test");
      for (const std::string& v : values) {
        CloudEvent ce = NewCloudEvent("id.klinik.test.v1", "/klinik/test", key);
        OutgoingMessage m{topic.empty() ? topic_ : topic, key, v, {}};
        AppendCloudEventHeaders(ce, m.headers);
        out.PublishRaw(m);
        ids.push_back(ce.id);
      }
    });
    return ids;
  }

  // Runs rounds until one publishes nothing new (or 40 rounds).
  void Drain(OutboxRelay& relay) {
    for (int i = 0; i < 40; ++i) {
      int n = relay.PublishOnce();
      if (n == 0) return;
    }
  }

  // Values on the topic per key, in the order read, each ce_id once (a consumer's inbox view).
  std::map<std::string, std::vector<std::string>> Published(size_t expect) {
    std::map<std::string, std::vector<std::string>> by_key;
    std::set<std::string> seen;
    for (const auto& m : testing::ReadTopic(topic_, expect, 30s)) {
      if (!seen.insert(FindHeader(m.headers, "ce_id").value_or("")).second) continue;
      by_key[m.key].push_back(m.value.size() > 64 ? "<big>" : m.value);
    }
    return by_key;
  }

  std::vector<OutboxRow> Rows(std::string_view where) {
    return db_->Read([&](Transaction& tx) { return ReadOutbox(tx, where); });
  }

  std::unique_ptr<Database> db_;
  std::string topic_;
  std::string service_;
};

std::vector<std::string> Seq(const std::string& prefix, int n) {
  std::vector<std::string> out;
  for (int i = 1; i <= n; ++i) out.push_back(prefix + std::to_string(i));
  return out;
}

TEST_P(RelayFault, ARowTooLargeIsParkedItsKeyWaitsAndEveryOtherKeyFlowsInOrder) {
  // a3 is over librdkafka's message.max.bytes (1,000,000): a real, permanent refusal.
  Write("a", {"a1", "a2"});
  Write("b", {"b1", "b2"});
  Write("a", {std::string(1100000, 'x')});
  Write("b", {"b3"});
  Write("a", {"a4", "a5"});
  Write("c", Seq("c", 5));
  Metrics metrics("relay-test");
  FaultyProducer producer(testing::KafkaTestSettings());
  OutboxRelay relay(*db_, producer, &metrics, {.service = service_});
  Drain(relay);

  auto got = Published(10);
  EXPECT_THAT(got["a"], ::testing::ElementsAre("a1", "a2")) << "a4, a5 wait behind the parked row";
  EXPECT_THAT(got["b"], ::testing::ElementsAre("b1", "b2", "b3"));
  EXPECT_THAT(got["c"], ::testing::ElementsAre("c1", "c2", "c3", "c4", "c5"));
  auto parked = Rows("parked_at IS NOT NULL");
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_EQ(parked[0].message.key, "a");
  EXPECT_EQ(parked[0].message.value.size(), 1100000u) << "kept whole for an operator";
  EXPECT_THAT(parked[0].park_reason, HasSubstr("too large"));
  EXPECT_EQ(relay.Parked(), 1);
  EXPECT_EQ(relay.Backlog(), 3) << "the parked row and the two behind it";
  EXPECT_THAT(metrics.Render(),
              HasSubstr("klinik_outbox_parked_total{topic=\"" + topic_ + "\"} 1"));
  EXPECT_TRUE(relay.Healthy()) << "a parked row is the operator's, not an outage";
  EXPECT_THAT(producer.sent_values, ::testing::Not(::testing::Contains("a4"))) << "never sent";

  // The operator settles the parked row (here: marks it handled); its key flows again, in order.
  db_->InTransaction([&](Transaction& tx) {
    tx.Execute("UPDATE klinik_outbox SET sent_at = 0 WHERE parked_at IS NOT NULL");
  });
  Drain(relay);
  EXPECT_THAT(Published(12)["a"], ::testing::ElementsAre("a1", "a2", "a4", "a5"));
  EXPECT_EQ(relay.Backlog(), 0);
}

TEST_P(RelayFault, AnUnknownTopicIsParkedWithoutHoldingBackTheSameKeyOnOtherTopics) {
  // An unknown topic: librdkafka answers "Unknown topic" (injected: the test broker creates
  // topics on demand).
  std::string missing = testing::UniqueName("test.no-such-topic");
  Write("k", {"k1"});
  Write("k", {"lost-1", "lost-2"}, missing);
  Write("k", {"k2", "k3"});
  FaultyProducer producer(testing::KafkaTestSettings());
  producer.refuse = [&](const OutgoingMessage& m) -> std::optional<SendErrorClass> {
    if (m.topic == missing) return SendErrorClass::kPermanent;
    return std::nullopt;
  };
  OutboxRelay relay(*db_, producer, nullptr, {.service = service_});
  Drain(relay);
  EXPECT_THAT(Published(3)["k"], ::testing::ElementsAre("k1", "k2", "k3"));
  auto parked = Rows("parked_at IS NOT NULL");
  ASSERT_EQ(parked.size(), 1u) << "lost-2 waits behind lost-1 on its topic, unsent";
  EXPECT_EQ(parked[0].message.value, "lost-1");
  EXPECT_EQ(Rows("sent_at IS NULL AND parked_at IS NULL").size(), 1u);
}

TEST_P(RelayFault, AFatalProducerErrorRecreatesTheProducerAndLosesNothing) {
  Write("a", Seq("a", 6));
  Write("b", Seq("b", 6));
  FaultyProducer producer(testing::KafkaTestSettings());
  producer.fatal_before = "b3";  // a real rd_kafka fatal error, raised mid-round
  OutboxRelay relay(*db_, producer, nullptr, {.service = service_});
  Drain(relay);
  EXPECT_EQ(producer.recreations(), 1);
  EXPECT_EQ(producer.FatalError(), "") << "the new producer is sound";
  EXPECT_EQ(relay.Backlog(), 0);
  auto got = Published(12);
  EXPECT_THAT(got["a"], ::testing::ElementsAreArray(Seq("a", 6)));
  EXPECT_THAT(got["b"], ::testing::ElementsAreArray(Seq("b", 6)));
  EXPECT_TRUE(Rows("parked_at IS NOT NULL").empty()) << "a fatal error is no reason to park";
}

TEST_P(RelayFault, ATransientRefusalIsRetriedInOrderAndTheRelayIsUnhealthyWhileItLasts) {
  Write("a", Seq("a", 4));
  Write("b", Seq("b", 3));
  FaultyProducer producer(testing::KafkaTestSettings());
  int timeouts_left = 3;
  producer.refuse = [&](const OutgoingMessage& m) -> std::optional<SendErrorClass> {
    if (m.value == "a2" && timeouts_left > 0) {
      --timeouts_left;
      return SendErrorClass::kTransient;  // e.g. a local queue timed out
    }
    return std::nullopt;
  };
  OutboxRelayOptions options{.service = service_};
  options.unhealthy_after = 1ms;
  OutboxRelay relay(*db_, producer, nullptr, options);
  EXPECT_EQ(relay.PublishOnce(), -1);
  std::this_thread::sleep_for(5ms);
  EXPECT_EQ(relay.PublishOnce(), -1);
  EXPECT_FALSE(relay.Healthy()) << "failing rounds for longer than unhealthy_after";
  EXPECT_EQ(Rows("sent_at IS NOT NULL").size(), 1u) << "only a1; nothing after the refusal";
  Drain(relay);
  EXPECT_TRUE(relay.Healthy());
  EXPECT_EQ(timeouts_left, 0);
  EXPECT_EQ(relay.Backlog(), 0);
  auto got = Published(7);
  EXPECT_THAT(got["a"], ::testing::ElementsAreArray(Seq("a", 4)));
  EXPECT_THAT(got["b"], ::testing::ElementsAreArray(Seq("b", 3)));
}

TEST_P(RelayFault, UndecodableHeadersParkTheRowInsteadOfStoppingTheRelay) {
  Write("a", {"a1"});
  Write("b", {"b1"});
  db_->InTransaction([&](Transaction& tx) {
    tx.Execute(
        "UPDATE klinik_outbox SET header_bytes = $1 WHERE id = (SELECT MIN(id) FROM "
        "klinik_outbox)",
        {Blob{std::string("\x07garbage", 8)}});
  });
  FaultyProducer producer(testing::KafkaTestSettings());
  OutboxRelay relay(*db_, producer, nullptr, {.service = service_});
  Drain(relay);
  EXPECT_THAT(Published(1)["b"], ::testing::ElementsAre("b1"));
  auto parked = Rows("parked_at IS NOT NULL");
  ASSERT_EQ(parked.size(), 1u);
  EXPECT_THAT(parked[0].park_reason, HasSubstr("headers cannot be decoded"));
}

INSTANTIATE_TEST_SUITE_P(Backends, RelayFault, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace klinik
