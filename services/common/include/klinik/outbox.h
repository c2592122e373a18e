// Transactional outbox and inbox (ARCHITECTURE.md, "Processing guarantees").
//
// A handler never talks to Kafka: it writes its facts with an OutboxWriter inside the same
// database transaction as its state change, and the consumed event's ce_id goes into the inbox
// in that transaction too. The OutboxRelay publishes committed rows in order with the idempotent
// producer and marks them sent on the delivery report. A crash between send and mark re-sends the
// same ce_id, which the next consumer's inbox drops.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/storage.h"

namespace google::protobuf {
class MessageLite;
}

namespace klinik {

class Metrics;

// The platform's own tables: klinik_outbox and klinik_inbox.
const std::vector<Migration>& PlatformMigrations();

namespace inbox {
// True when `event_id` was already processed by `consumer` (skip it).
bool Seen(Transaction& tx, std::string_view consumer, std::string_view event_id);
void Record(Transaction& tx, std::string_view consumer, std::string_view event_id);
// Records every id of `event_ids` (distinct) not yet recorded for `consumer` and returns those:
// the ids left out were processed before. One INSERT … ON CONFLICT DO NOTHING RETURNING per 64
// ids, which always goes through the primary key (no plan to go stale as the table grows).
std::set<std::string> ClaimAll(Transaction& tx, std::string_view consumer,
                               const std::vector<std::string>& event_ids);
}  // namespace inbox

// Outbox rows held back and written together (a multi-row INSERT per 32) just before commit.
class OutboxBuffer {
 public:
  void Add(const OutgoingMessage& m);
  void Flush(Transaction& tx);
  [[nodiscard]] bool empty() const { return rows_.empty(); }

 private:
  std::vector<Params> rows_;
};

// Writes outgoing messages into klinik_outbox within the caller's transaction.
class OutboxWriter {
 public:
  // `source` becomes ce_source; `parent_traceparent` continues the consumed event's trace.
  // With a `buffer` the rows are written when the buffer is flushed (the consume loop does that
  // before its commit); without, at once.
  OutboxWriter(Transaction& tx, std::string source, std::string parent_traceparent = {},
               OutboxBuffer* buffer = nullptr);

  // Publishes a protobuf fact with fresh CloudEvents headers; returns its ce_id.
  std::string Publish(std::string_view topic, std::string_view key, std::string_view ce_type,
                      std::string_view subject, const google::protobuf::MessageLite& payload);
  // Publishes a message whose headers the caller built (dead letters keep the original's).
  void PublishRaw(const OutgoingMessage& message);

  // Runs `fn` once the transaction has committed, never when it rolls back (a retry, or a batch
  // redone message by message): counters and caches that must match what was stored.
  void AfterCommit(std::function<void()> fn) { after_commit_.push_back(std::move(fn)); }
  // The callbacks registered so far; the consume loop runs them after its commit.
  std::vector<std::function<void()>> TakeAfterCommit() { return std::move(after_commit_); }

  [[nodiscard]] int count() const { return count_; }
  [[nodiscard]] Transaction& tx() { return tx_; }

 private:
  Transaction& tx_;
  std::string source_;
  std::string parent_traceparent_;
  OutboxBuffer* buffer_;
  int count_ = 0;
  std::vector<std::function<void()>> after_commit_;
};

// Runs fn(OutboxWriter&) in one transaction of `db`, then, once it has committed, the writer's
// AfterCommit callbacks. For work that writes facts outside the consume loop (timers, scans).
template <typename Fn>
auto InOutboxTransaction(Database& db, const std::string& source, Fn&& fn) {
  std::vector<std::function<void()>> after;
  auto run_after = [&] {
    for (auto& f : after) f();
  };
  using R = std::invoke_result_t<Fn, OutboxWriter&>;
  if constexpr (std::is_void_v<R>) {
    db.InTransaction([&](Transaction& tx) {
      OutboxWriter out(tx, source);
      fn(out);
      after = out.TakeAfterCommit();
    });
    run_after();
  } else {
    R result = db.InTransaction([&](Transaction& tx) {
      OutboxWriter out(tx, source);
      R r = fn(out);
      after = out.TakeAfterCommit();
      return r;
    });
    run_after();
    return result;
  }
}

struct OutboxRelayOptions {
  std::string service;                             // names the relay's lock and metrics
  size_t batch_size = 500;                         // rows published per round
  std::chrono::milliseconds idle_interval{200};    // poll when nobody calls Wake()
  std::chrono::milliseconds retry_interval{1000};  // after a failed round
  std::chrono::milliseconds send_timeout{30000};   // wait for delivery reports
  std::chrono::hours retention{24};                // sent rows kept for inspection
};

class OutboxRelay {
 public:
  OutboxRelay(Database& db, Producer& producer, Metrics* metrics, OutboxRelayOptions options);
  ~OutboxRelay();

  void Start();
  // Something was committed: publish it now rather than at the next poll.
  void Wake();
  // Publishes what is left (until the backlog is empty or `drain` passes), then stops.
  void Stop(std::chrono::milliseconds drain);

  // One round: publishes up to batch_size unsent rows; returns how many were marked sent, or
  // -1 when the round failed (nothing marked that was not delivered).
  int PublishOnce();
  // Unsent rows (the klinik_outbox_backlog gauge).
  int64_t Backlog();

 private:
  void Loop();

  Database& db_;
  Producer& producer_;
  Metrics* metrics_;
  OutboxRelayOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool woken_ = false;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::chrono::steady_clock::time_point next_prune_{};
  std::chrono::steady_clock::time_point next_backlog_sample_{};
};

}  // namespace klinik
