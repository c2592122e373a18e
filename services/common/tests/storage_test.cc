// The storage interface and the outbox/inbox on BOTH real backends: SQLite files and a real
// PostgreSQL server (started once per test run by the ctest fixture).
#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "klinik/config.h"
#include "klinik/outbox.h"
#include "klinik/storage.h"
#include "klinik/v1/registration.pb.h"
#include "test_infra.h"

namespace klinik {
namespace {

bool InInbox(Transaction& tx, const std::string& consumer, const std::string& event_id) {
  return !tx.Query("SELECT 1 FROM klinik_inbox WHERE consumer = $1 AND event_id = $2",
                   {consumer, event_id})
              .empty();
}

class StorageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    url_ = testing::FreshDatabase(GetParam());
    db_ = Database::Open(url_, 4);
    db_->Migrate("klinik_platform", PlatformMigrations());
    db_->Migrate("test", {{1, "things",
                           "CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL, "
                           "x DOUBLE PRECISION, data {{BLOB}}, note TEXT)"}});
  }
  std::string url_;
  std::unique_ptr<Database> db_;
};

TEST_P(StorageTest, RoundTripsEveryValueType) {
  std::string binary("\x00\x01\xff\x7f zero\x00inside", 16);
  db_->InTransaction([&](Transaction& tx) {
    EXPECT_EQ(tx.Execute("INSERT INTO things (id, n, x, data, note) VALUES ($1, $2, $3, $4, $5)",
                         {std::string("a"), int64_t{42}, 2.5, Blob{binary}, nullptr}),
              1);
  });
  Rows rows = db_->Read(
      [](Transaction& tx) { return tx.Query("SELECT id, n, x, data, note FROM things"); });
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].Text(0), "a");
  EXPECT_EQ(rows[0].Int(1), 42);
  EXPECT_DOUBLE_EQ(rows[0].Double(2), 2.5);
  EXPECT_EQ(rows[0].Text(3), binary);
  EXPECT_TRUE(rows[0].IsNull(4));
}

TEST_P(StorageTest, ThrowingRollsBackTheWholeTransaction) {
  EXPECT_THROW(db_->InTransaction([&](Transaction& tx) {
    tx.Execute("INSERT INTO things (id, n) VALUES ($1, $2)", {std::string("a"), int64_t{1}});
    throw std::runtime_error("domain failure");
  }),
               std::runtime_error);
  auto n = db_->Read(
      [](Transaction& tx) { return tx.Query("SELECT COUNT(*) FROM things").at(0).Int(0); });
  EXPECT_EQ(n, 0);
}

TEST_P(StorageTest, UniqueViolationIsRetryableAndNamed) {
  db_->InTransaction([&](Transaction& tx) {
    tx.Execute("INSERT INTO things (id, n) VALUES ($1, $2)", {std::string("a"), int64_t{1}});
  });
  try {
    db_->InTransaction([&](Transaction& tx) {
      tx.Execute("INSERT INTO things (id, n) VALUES ($1, $2)", {std::string("a"), int64_t{2}});
    });
    FAIL() << "duplicate key accepted";
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kUniqueViolation);
    EXPECT_TRUE(e.retryable());
  }
}

TEST_P(StorageTest, BadSqlIsPermanent) {
  try {
    db_->InTransaction([&](Transaction& tx) { tx.Query("SELECT nope FROM nowhere"); });
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kPermanent);
  }
}

TEST_P(StorageTest, MigrationsApplyOnceAcrossRestarts) {
  std::vector<Migration> ms = {
      {1, "things", "CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER NOT NULL)"},
      {2, "more", "ALTER TABLE things ADD COLUMN extra TEXT"}};
  auto other = Database::Open(url_, 2);
  other->Migrate("test", ms);  // version 1 is already applied: only 2 runs
  other->Migrate("test", ms);  // nothing runs
  auto applied = other->Read([](Transaction& tx) {
    return tx.Query(
        "SELECT version FROM klinik_schema_migrations WHERE component = 'test' ORDER BY version");
  });
  ASSERT_EQ(applied.size(), 2u);
  EXPECT_EQ(applied[1].Int(0), 2);
}

TEST_P(StorageTest, ConcurrentWritersFromManyThreadsLoseNothing) {
  db_->InTransaction([&](Transaction& tx) {
    tx.Execute("INSERT INTO things (id, n) VALUES ($1, $2)", {std::string("counter"), int64_t{0}});
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        for (;;) {
          try {
            db_->InTransaction([&](Transaction& tx) {
              auto n = tx.Query(std::string("SELECT n FROM things WHERE id = 'counter'") +
                                std::string(tx.ForUpdate()))
                           .at(0)
                           .Int(0);
              tx.Execute("UPDATE things SET n = $1 WHERE id = 'counter'", {n + 1});
            });
            break;
          } catch (const StorageError& e) {
            ASSERT_TRUE(e.retryable()) << e.what();
          }
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  auto n = db_->Read([](Transaction& tx) {
    return tx.Query("SELECT n FROM things WHERE id = 'counter'").at(0).Int(0);
  });
  EXPECT_EQ(n, 200);
}

TEST_P(StorageTest, InboxClaimAllReturnsOnlyIdsNotProcessedBeforeAcrossChunks) {
  std::vector<std::string> first, all;
  std::set<std::string> rest;
  for (int i = 0; i < 150; ++i) {
    all.push_back("ce-" + std::to_string(i));
    if (i % 3 == 0) {
      first.push_back(all.back());
    } else {
      rest.insert(all.back());
    }
  }
  db_->InTransaction([&](Transaction& tx) {
    EXPECT_EQ(inbox::ClaimAll(tx, "group-a", first).size(), first.size());
  });
  db_->InTransaction([&](Transaction& tx) {
    EXPECT_EQ(inbox::ClaimAll(tx, "group-a", all), rest);
    EXPECT_EQ(inbox::ClaimAll(tx, "group-b", all).size(), all.size());
  });
  // A rolled-back claim leaves nothing behind.
  EXPECT_THROW(db_->InTransaction([&](Transaction& tx) {
    inbox::ClaimAll(tx, "group-c", all);
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  db_->Read([&](Transaction& tx) {
    EXPECT_TRUE(InInbox(tx, "group-a", "ce-148"));
    EXPECT_FALSE(InInbox(tx, "group-c", "ce-1"));
  });
}

TEST_P(StorageTest, BufferedOutboxRowsAreWrittenInOrderAtFlush) {
  v1::PatientEvent fact;
  fact.mutable_registration_matched()->set_request_id("r1");
  db_->InTransaction([&](Transaction& tx) {
    OutboxBuffer buffer;
    OutboxWriter out(tx, "/klinik/test", "", &buffer);
    for (int i = 0; i < 70; ++i) {
      out.Publish("topic.a", "k" + std::to_string(i), "id.klinik.patient.registration_matched.v1",
                  "p1", fact);
    }
    EXPECT_EQ(tx.Query("SELECT COUNT(*) FROM klinik_outbox").at(0).Int(0), 0) << "not yet";
    buffer.Flush(tx);
    EXPECT_TRUE(buffer.empty());
  });
  auto rows = db_->Read([](Transaction& tx) { return ReadOutbox(tx); });
  ASSERT_EQ(rows.size(), 70u);
  for (int i = 0; i < 70; ++i) {
    const OutgoingMessage& m = rows[static_cast<size_t>(i)].message;
    EXPECT_EQ(m.key, "k" + std::to_string(i));
    v1::PatientEvent back;
    ASSERT_TRUE(back.ParseFromString(m.value));
    EXPECT_EQ(back.registration_matched().request_id(), "r1");
    EXPECT_TRUE(FindHeader(m.headers, "ce_id"));
  }
}

TEST_P(StorageTest, OutboxRowsCommitOrRollBackWithTheStateChange) {
  v1::PatientEvent fact;
  fact.mutable_registration_matched()->set_request_id("r1");
  EXPECT_THROW(db_->InTransaction([&](Transaction& tx) {
    OutboxWriter out(tx, "/klinik/test");
    out.Publish("topic.a", "k", "id.klinik.patient.registration_matched.v1", "p1", fact);
    throw std::runtime_error("abort");
  }),
               std::runtime_error);
  db_->InTransaction([&](Transaction& tx) {
    OutboxWriter out(tx, "/klinik/test");
    out.Publish("topic.a", "k", "id.klinik.patient.registration_matched.v1", "p1", fact);
    EXPECT_EQ(out.count(), 1);
  });
  auto rows = db_->Read([](Transaction& tx) { return ReadOutbox(tx); });
  ASSERT_EQ(rows.size(), 1u);
  v1::PatientEvent back;
  ASSERT_TRUE(back.ParseFromString(rows[0].message.value));
  EXPECT_EQ(back.registration_matched().request_id(), "r1");
  EXPECT_TRUE(FindHeader(rows[0].message.headers, "ce_id"));
}

TEST_P(StorageTest, RelayPublishesInOrderToRealKafkaAndMarksSent) {
  std::string topic = testing::UniqueName("test.outbox");
  testing::CreateTopics({topic}, 1);
  std::vector<std::string> ids;
  db_->InTransaction([&](Transaction& tx) {
    OutboxWriter out(tx, "/klinik/test");
    for (int i = 0; i < 20; ++i) {
      v1::PatientEvent fact;
      fact.mutable_registration_matched()->set_request_id("r" + std::to_string(i));
      ids.push_back(
          out.Publish(topic, "same-key", "id.klinik.patient.registration_matched.v1", "p", fact));
    }
  });
  Producer producer(testing::KafkaTestSettings());
  OutboxRelay relay(*db_, producer, nullptr, {.service = "test"});
  EXPECT_EQ(relay.Backlog(), 20);
  EXPECT_EQ(relay.PublishOnce(), 20);
  EXPECT_EQ(relay.Backlog(), 0);
  EXPECT_EQ(relay.PublishOnce(), 0);  // nothing is sent twice
  auto got = testing::ReadTopic(topic, 20, std::chrono::seconds(30));
  ASSERT_EQ(got.size(), 20u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(FindHeader(got[i].headers, "ce_id"), ids[i]) << "order kept";
    EXPECT_EQ(got[i].key, "same-key");
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StorageTest, ::testing::Values("sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

TEST(Database, MalformedUrlNamesTheVariable) {
  for (std::string url : {"nonsense", "mysql://x/y", "sqlite://"}) {
    try {
      Database::Open(url, 1);
      FAIL() << url;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("KLINIK_DATABASE_URL"), std::string::npos);
    }
  }
}

TEST(Database, UnreachablePostgresIsATransientError) {
  try {
    Database::Open("postgresql://postgres@127.0.0.1:1/nothing?connect_timeout=2", 1);
    FAIL();
  } catch (const StorageError& e) {
    EXPECT_EQ(e.kind(), StorageErrorKind::kTransient);
  }
}

}  // namespace
}  // namespace klinik

namespace klinik {
namespace {

// A service starting while a tool (or a second replica) opens the same fresh SQLite file: both
// turn it to WAL at once, which SQLite resolves by answering one of them BUSY without waiting.
// Neither may fail (the flake where a test's poll made the service exit "database is locked").
TEST(SqliteOpen, ConnectionsOpeningOneFreshFileAtOnceAllSucceed) {
  for (int round = 0; round < 40; ++round) {
    std::string path = testing::TempDir() + "/fresh-" + std::to_string(round) + ".db";
    std::atomic<int> failed{0};
    std::vector<std::thread> openers;
    for (int i = 0; i < 6; ++i) {
      openers.emplace_back([&] {
        try {
          auto db = Database::Open("sqlite://" + path, 1);
          db->Read([](Transaction& tx) { return tx.Query("SELECT 1"); });
        } catch (const StorageError& e) {
          ++failed;
          ADD_FAILURE() << e.what();
        }
      });
    }
    for (auto& t : openers) t.join();
    ASSERT_EQ(failed.load(), 0) << "round " << round;
  }
}

}  // namespace
}  // namespace klinik
