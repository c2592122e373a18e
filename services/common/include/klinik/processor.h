// The one consume loop every service uses (ARCHITECTURE.md, "Processing guarantees"):
//   1. poll a batch with manual offsets;
//   2. the batch in ONE transaction: per message inbox check on ce_id -> handler (state +
//      outbox) -> inbox; when one message needs a retry or fails, the transaction rolls back
//      and the batch is redone one transaction per message, so each gets its own outcome;
//   3. commit offsets once the batch's transaction(s) have committed;
//   4. the OutboxRelay publishes.
// Outcomes: a message that cannot be decoded or breaks the contract becomes a dead letter (with
// origin topic, partition, offset, service and error headers) and the loop moves on; a transient
// failure (database down, a gRPC dependency down) rolls back, pauses that partition, rewinds it
// and retries with backoff, without committing, while the service reports not-ready.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "klinik/cloudevents.h"
#include "klinik/kafka.h"
#include "klinik/outbox.h"
#include "klinik/storage.h"

namespace klinik {

class Metrics;

struct InboundEvent {
  const ConsumedMessage& message;
  const CloudEvent& ce;
};

// What a handler made of one event. Exactly one of these per call.
class [[nodiscard]] HandleResult {
 public:
  enum class Kind {
    kApplied,     // state changed and/or facts written
    kRejected,    // valid message, refused by the domain; a rejection fact was written
    kIgnored,     // not for this service (e.g. an event kind it does not react to)
    kDeadLetter,  // undecodable or contract-violating: park it in klinik.deadletter.v1
    kRetry,       // transient: roll back and try again later
  };
  static HandleResult Applied() { return HandleResult(Kind::kApplied, {}); }
  static HandleResult Rejected(std::string reason) {
    return HandleResult(Kind::kRejected, std::move(reason));
  }
  static HandleResult Ignored() { return HandleResult(Kind::kIgnored, {}); }
  static HandleResult DeadLetter(std::string error) {
    return HandleResult(Kind::kDeadLetter, std::move(error));
  }
  static HandleResult Retry(std::string why) { return HandleResult(Kind::kRetry, std::move(why)); }

  [[nodiscard]] Kind kind() const { return kind_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }

 private:
  HandleResult(Kind kind, std::string detail) : kind_(kind), detail_(std::move(detail)) {}
  Kind kind_;
  std::string detail_;
};

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  // Runs inside the event's transaction; write state through `outbox.tx()` and facts through
  // `outbox`. Must not talk to Kafka. May throw StorageError (treated as transient).
  virtual HandleResult Handle(const InboundEvent& event, OutboxWriter& outbox) = 0;
  // Runs just before the transaction of a batch (or of one message redone on its own), outside
  // it, on the same thread: fetch what the following Handle calls will need from other
  // services all at once, so a transaction never waits on the network once per event. Handle
  // must still work (by asking itself) for anything not fetched. Exceptions are logged and
  // ignored. Default: nothing.
  virtual void Prepare(const std::vector<InboundEvent>& events) { (void)events; }
};

struct ProcessorOptions {
  std::string service;   // dead-letter header and ce_source
  std::string group_id;  // consumer group; also the inbox's consumer name
  std::vector<std::string> topics;
  size_t batch_size = 500;
  std::chrono::milliseconds poll_timeout{100};
  std::chrono::milliseconds retry_initial{200};
  std::chrono::milliseconds retry_max{30000};
  // A permanent storage error (not a transient one) is retried this many times, then the
  // message becomes a dead letter so the partition moves on.
  int permanent_error_attempts = 5;
  // A longer message key breaks the contract (keys are patient, clinic or request ids).
  size_t max_key_bytes = 1024;
  // One transaction per consumed batch (inbox, state and outbox of every message together);
  // a batch that cannot commit whole is redone one message per transaction.
  bool batch_transactions = true;
  // Test hook: SIGKILL the process once this many events are committed to the database, before
  // the offset commit (KLINIK_TEST_CRASH_AFTER_COMMITS). 0 = never.
  int64_t crash_after_commits = 0;
};

class EventProcessor : public RebalanceListener {
 public:
  EventProcessor(ProcessorOptions options, const KafkaSettings& kafka, Database& db,
                 EventHandler& handler, Metrics* metrics, std::function<void()> on_committed);
  ~EventProcessor() override;

  // Runs until Stop(); the last batch finishes and its offsets are committed.
  void Run();
  void Stop() { stop_ = true; }
  // False while a partition waits for a transient failure to clear.
  [[nodiscard]] bool Healthy() const { return retrying_partitions_.load() == 0; }

  void OnAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;

 private:
  enum class Outcome { kApplied, kRejected, kIgnored, kDuplicate, kDeadLetter, kRetry };
  // A consumed message with its envelope parsed, ready to apply.
  struct Prepared {
    const ConsumedMessage* m;
    std::optional<CloudEvent> ce;
    std::string ce_error;
    std::string event_id;
  };
  std::vector<const ConsumedMessage*> Admit(const std::vector<ConsumedMessage>& batch);
  Prepared Prepare(const ConsumedMessage& m);
  // The handler's Prepare for these events (those with a CloudEvent).
  void PrepareHandler(const std::vector<const Prepared*>& events);
  // Inbox check, handler, inbox record inside `tx`; throws RetrySignal for a retry.
  Outcome Apply(Transaction& tx, const Prepared& p, std::vector<std::function<void()>>& after);
  // The handler (or the dead letter) for one event, without the inbox; outbox rows go to
  // `buffer` when given.
  Outcome Handle(Transaction& tx, const Prepared& p, std::vector<std::function<void()>>& after,
                 OutboxBuffer* buffer);
  // All of `todo` in one transaction; false (nothing kept) when any message needs more.
  bool ProcessBatch(const std::vector<const ConsumedMessage*>& todo);
  Outcome ProcessOne(const ConsumedMessage& m);
  void Record(const ConsumedMessage& m, Outcome o, double seconds);
  void AfterCommit(int64_t events);
  // Where a dead letter came from and why: dlq_origin_topic/partition/offset, dlq_service,
  // dlq_error, dlq_time.
  void AppendDeadLetterHeaders(const ConsumedMessage& m, const std::string& error,
                               Headers& headers) const;
  // The original's key, value and headers with the dlq_* headers, cut to the producer's limit.
  void WriteDeadLetter(OutboxWriter& out, const ConsumedMessage& m, const std::string& error);
  // Only where it came from and why (no key, value or original headers): for a message whose
  // full dead letter cannot be written.
  void WriteMinimalDeadLetter(OutboxWriter& out, const ConsumedMessage& m,
                              const std::string& error);
  // Parks `m` as a dead letter in its own transaction, a minimal one when the full one cannot
  // be written; false (and a retry scheduled) only when the database cannot take either, which
  // a transient failure explains.
  bool DeadLetterAfterFailure(const ConsumedMessage& m, const std::string& event_id,
                              const std::string& error);
  void ScheduleRetry(const TopicPartition& tp, int64_t offset, const std::string& why);
  void ResumeDue();

  struct RetryState {
    std::chrono::steady_clock::time_point resume_at;
  };

  ProcessorOptions options_;
  Database& db_;
  EventHandler& handler_;
  Metrics* metrics_;
  std::function<void()> on_committed_;
  std::unique_ptr<Consumer> consumer_;
  std::atomic<bool> stop_{false};
  std::map<TopicPartition, RetryState> retries_;  // paused partitions
  std::map<TopicPartition, int> attempts_;        // consecutive failures, kept across resume
  std::map<TopicPartition, int64_t> rewound_to_;  // the offset a rewound partition must resume at
  std::atomic<int> retrying_partitions_{0};
  std::string source_;        // ce_source of what this processor writes
  size_t message_max_bytes_;  // the producer's limit, which dead letters are cut to
  int64_t committed_events_ = 0;
};

}  // namespace klinik
