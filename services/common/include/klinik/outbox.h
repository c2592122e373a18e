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
class Message;
class MessageLite;
}  // namespace google::protobuf

namespace klinik {

class Metrics;

// The platform's own tables: klinik_outbox and klinik_inbox.
//
// An outbox row keeps its key and headers as bytes (key_bytes, header_bytes): a Kafka record may
// hold any byte there, and a dead letter forwards the original's. Rows written before that
// (msg_key and a JSON `headers` text) are still read. A row the producer refuses for good is
// parked (parked_at, park_reason) and kept for an operator; rows of the same topic and key
// behind it wait, so order per key holds, and every other row flows.
const std::vector<Migration>& PlatformMigrations();

// Headers as bytes and back (protobuf varint framing; any byte in any name or value). Decode
// returns false on bytes that are not such an encoding.
std::string EncodeHeaders(const Headers& headers);
[[nodiscard]] bool DecodeHeaders(std::string_view bytes, Headers* headers);

// One row of klinik_outbox.
struct OutboxRow {
  int64_t id = 0;
  OutgoingMessage message;
  bool sent = false;
  bool parked = false;
  std::string park_reason;
};
// Every row (or those matching `where`, an SQL condition), in id order: for tests and operators'
// tools. A row whose headers cannot be decoded comes back without headers.
std::vector<OutboxRow> ReadOutbox(Transaction& tx, std::string_view where = {});

// Makes a dead letter fit a producer limit of `max_bytes` (key, value and headers together):
// the value is cut first, then the key, then the original headers, and `dlq_truncated` names
// what was cut, with `dlq_original_value_bytes`. Returns true when it cut anything.
bool FitDeadLetter(OutgoingMessage& message, size_t max_bytes);

namespace inbox {
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
  // Publishes a topic wrapper (e.g. a ScreeningEvent) under the ce_type of the case it holds
  // (event_types.h); returns its ce_id. Throws std::logic_error when it holds no case.
  std::string Publish(std::string_view topic, std::string_view key, std::string_view subject,
                      const google::protobuf::Message& wrapper);
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
  // Rounds failing for longer than this make the relay unhealthy (/readyz answers 503).
  std::chrono::milliseconds unhealthy_after{30000};
  // Test hook: SIGKILL the process once a round's rows are delivered, before they are marked
  // sent (KLINIK_TEST_CRASH_AFTER_DELIVERY).
  bool crash_after_delivery = false;
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
  // Unsent rows (the klinik_outbox_backlog gauge), parked ones included.
  int64_t Backlog();
  // Rows parked and not yet released by an operator (the klinik_outbox_parked gauge).
  int64_t Parked();
  // False while rounds have failed for longer than `unhealthy_after` (part of /readyz).
  [[nodiscard]] bool Healthy() const;

 private:
  struct Round;
  struct Sending;  // one round's rows on their way to Kafka (outbox.cc)
  void Loop();
  Round SendRound(Transaction& tx);
  // Hands the decoded rows to the producer in order, until one is refused for a reason that
  // may pass; rows that cannot be sent at all go to round.to_park.
  void SendRows(const Rows& rows, Sending& sending, Round& round);
  // Sorts the queued rows by their delivery reports: delivered, to park or to send again.
  static void SettleRows(Sending& sending, Round& round);
  void Finish(Transaction& tx, const Round& round);
  void Park(Transaction& tx, const OutboxRow& row, const std::string& reason);
  void Observe(const Round& round);

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
  // steady_clock ticks since the first of the current run of failed rounds; 0 when none.
  std::atomic<int64_t> failing_since_{0};
};

}  // namespace klinik
