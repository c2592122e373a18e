#include "klinik/processor.h"

#include <signal.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "klinik/log.h"
#include "klinik/metrics.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"

namespace klinik {
namespace {

// Thrown inside the transaction to roll it back when the handler asks for a retry.
struct RetrySignal {
  std::string why;
};

const char* OutcomeLabel(int outcome) {
  static const char* kLabels[] = {"applied",   "rejected",    "ignored",
                                  "duplicate", "dead_letter", "retry"};
  return kLabels[outcome];
}

}  // namespace

EventProcessor::EventProcessor(ProcessorOptions options, const KafkaSettings& kafka, Database& db,
                               EventHandler& handler, Metrics* metrics,
                               std::function<void()> on_committed)
    : options_(std::move(options)),
      db_(db),
      handler_(handler),
      metrics_(metrics),
      on_committed_(std::move(on_committed)) {
  consumer_ = std::make_unique<Consumer>(kafka, options_.group_id, options_.topics, this);
}

EventProcessor::~EventProcessor() { consumer_->Close(); }

void EventProcessor::OnAssigned(const std::vector<TopicPartition>&) {}

void EventProcessor::OnRevoked(const std::vector<TopicPartition>& partitions) {
  // Offsets are committed after every batch, so nothing is pending here; forget the pauses of
  // partitions another member now owns (it starts from the committed offset).
  for (const auto& tp : partitions) {
    retries_.erase(tp);
    attempts_.erase(tp);
    rewound_to_.erase(tp);
  }
  retrying_partitions_ = static_cast<int>(retries_.size());
}

void EventProcessor::Run() {
  auto last_lag = std::chrono::steady_clock::now();
  while (!stop_) {
    ResumeDue();
    std::vector<ConsumedMessage> batch =
        consumer_->PollBatch(options_.batch_size, options_.poll_timeout);
    std::map<TopicPartition, int64_t> next_offsets;
    bool any_committed = false;
    for (const ConsumedMessage& m : batch) {
      TopicPartition tp{m.topic, m.partition};
      if (auto it = retries_.find(tp); it != retries_.end()) {
        // Paused and rewound: a message fetched before the pause is delivered again later.
        continue;
      }
      if (auto it = rewound_to_.find(tp); it != rewound_to_.end()) {
        // After a rewind the failed message must come first; anything else is a stale prefetch
        // that will be delivered again in order (processing it would skip the failed one).
        if (m.offset != it->second) continue;
        rewound_to_.erase(it);
      }
      Outcome outcome = ProcessOne(m);
      if (outcome == Outcome::kRetry) continue;
      attempts_.erase(tp);
      next_offsets[tp] = m.offset + 1;
      any_committed = true;
    }
    if (!next_offsets.empty()) {
      std::string error;
      if (!consumer_->Commit(next_offsets, &error)) {
        // Harmless for correctness: the inbox drops what is redelivered.
        log::Warn("offset commit failed", {{"error", error}});
      }
    }
    if (any_committed && on_committed_) on_committed_();
    if (metrics_ && std::chrono::steady_clock::now() - last_lag > std::chrono::seconds(2)) {
      metrics_->SetConsumerLag(options_.group_id, consumer_->Lag());
      last_lag = std::chrono::steady_clock::now();
    }
  }
  consumer_->Close();
}

EventProcessor::Outcome EventProcessor::ProcessOne(const ConsumedMessage& m) {
  auto started = std::chrono::steady_clock::now();
  std::string ce_error;
  std::optional<CloudEvent> ce = ParseCloudEventHeaders(m.headers, &ce_error);
  // Without a ce_id the message's coordinates identify it, so a redelivery is still dropped.
  std::string event_id =
      ce ? ce->id
         : "kafka:" + m.topic + "/" + std::to_string(m.partition) + "/" + std::to_string(m.offset);
  Outcome outcome = Outcome::kApplied;
  std::string detail;
  auto record = [&](Outcome o) {
    if (metrics_) {
      double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      metrics_->EventConsumed(m.topic, OutcomeLabel(static_cast<int>(o)), secs);
      if (o == Outcome::kDeadLetter) metrics_->DeadLetter(m.topic);
    }
  };
  try {
    db_.InTransaction([&](Transaction& tx) {
      if (inbox::Seen(tx, options_.group_id, event_id)) {
        outcome = Outcome::kDuplicate;
        return;
      }
      OutboxWriter out(tx, "/klinik/" + options_.service, ce ? ce->traceparent : "");
      if (!ce) {
        WriteDeadLetter(out, m, "contract: " + ce_error);
        outcome = Outcome::kDeadLetter;
      } else {
        HandleResult r = handler_.Handle(InboundEvent{m, *ce}, out);
        switch (r.kind()) {
          case HandleResult::Kind::kApplied:
            outcome = Outcome::kApplied;
            break;
          case HandleResult::Kind::kRejected:
            outcome = Outcome::kRejected;
            break;
          case HandleResult::Kind::kIgnored:
            outcome = Outcome::kIgnored;
            break;
          case HandleResult::Kind::kDeadLetter:
            WriteDeadLetter(out, m, r.detail());
            outcome = Outcome::kDeadLetter;
            break;
          case HandleResult::Kind::kRetry:
            throw RetrySignal{r.detail()};
        }
      }
      inbox::Record(tx, options_.group_id, event_id);
    });
  } catch (const RetrySignal& r) {
    ScheduleRetry({m.topic, m.partition}, m.offset, r.why);
    record(Outcome::kRetry);
    return Outcome::kRetry;
  } catch (const StorageError& e) {
    TopicPartition tp{m.topic, m.partition};
    // A statement the database always refuses (bad data the handler did not catch) would stall
    // the partition forever: after a few attempts the message is parked as a dead letter.
    bool give_up = e.kind() == StorageErrorKind::kPermanent &&
                   attempts_[tp] + 1 >= options_.permanent_error_attempts;
    if (!give_up) {
      ScheduleRetry(tp, m.offset, e.what());
      record(Outcome::kRetry);
      return Outcome::kRetry;
    }
    if (!DeadLetterAfterFailure(m, event_id, std::string("storage error: ") + e.what())) {
      record(Outcome::kRetry);
      return Outcome::kRetry;
    }
    outcome = Outcome::kDeadLetter;
  } catch (const std::exception& e) {
    // A handler bug must not stop the partition forever: park the message, keep it findable.
    log::Error("handler failed; dead-lettering",
               {{"topic", m.topic}, {"offset", m.offset}, {"error", e.what()}});
    if (!DeadLetterAfterFailure(m, event_id, std::string("handler error: ") + e.what())) {
      record(Outcome::kRetry);
      return Outcome::kRetry;
    }
    outcome = Outcome::kDeadLetter;
  }
  if (outcome == Outcome::kDeadLetter) {
    log::Warn("dead letter",
              {{"topic", m.topic}, {"partition", m.partition}, {"offset", m.offset}});
  }
  record(outcome);
  ++committed_transactions_;
  if (options_.crash_after_commits > 0 && committed_transactions_ >= options_.crash_after_commits) {
    log::Warn("test hook: crashing after database commit, before offset commit");
    ::kill(::getpid(), SIGKILL);
  }
  return outcome;
}

bool EventProcessor::DeadLetterAfterFailure(const ConsumedMessage& m, const std::string& event_id,
                                            const std::string& error) {
  try {
    db_.InTransaction([&](Transaction& tx) {
      OutboxWriter out(tx, "/klinik/" + options_.service);
      WriteDeadLetter(out, m, error);
      inbox::Record(tx, options_.group_id, event_id);
    });
    attempts_.erase({m.topic, m.partition});
    return true;
  } catch (const StorageError& se) {
    ScheduleRetry({m.topic, m.partition}, m.offset, se.what());
    return false;
  }
}

void EventProcessor::WriteDeadLetter(OutboxWriter& out, const ConsumedMessage& m,
                                     const std::string& error) {
  OutgoingMessage dl;
  dl.topic = std::string(topics::kDeadLetter);
  dl.key = m.key;
  dl.value = m.value;
  dl.headers = m.headers;
  dl.headers.emplace_back("dlq_origin_topic", m.topic);
  dl.headers.emplace_back("dlq_origin_partition", std::to_string(m.partition));
  dl.headers.emplace_back("dlq_origin_offset", std::to_string(m.offset));
  dl.headers.emplace_back("dlq_service", options_.service);
  dl.headers.emplace_back("dlq_error", redact::Scrub(error));
  dl.headers.emplace_back("dlq_time", FormatRfc3339(Clock::now(), true));
  out.PublishRaw(dl);
}

void EventProcessor::ScheduleRetry(const TopicPartition& tp, int64_t offset,
                                   const std::string& why) {
  int attempt = ++attempts_[tp];
  auto base = options_.retry_initial * (1 << std::min(attempt - 1, 16));
  auto delay = std::min<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(base), options_.retry_max);
  thread_local std::mt19937 rng{std::random_device{}()};
  delay +=
      std::chrono::milliseconds(std::uniform_int_distribution<int64_t>(0, delay.count() / 4)(rng));
  consumer_->Pause(tp);
  if (!consumer_->Seek(tp, offset))
    log::Warn("seek failed", {{"topic", tp.topic}, {"partition", tp.partition}});
  retries_[tp] = RetryState{attempt, offset, std::chrono::steady_clock::now() + delay};
  rewound_to_[tp] = offset;
  retrying_partitions_ = static_cast<int>(retries_.size());
  log::Warn("transient failure; partition paused", {{"topic", tp.topic},
                                                    {"partition", tp.partition},
                                                    {"offset", offset},
                                                    {"attempt", attempt},
                                                    {"retry_in_ms", delay.count()},
                                                    {"error", why}});
}

void EventProcessor::ResumeDue() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = retries_.begin(); it != retries_.end();) {
    if (it->second.resume_at <= now) {
      consumer_->Resume(it->first);
      it = retries_.erase(it);
    } else {
      ++it;
    }
  }
  retrying_partitions_ = static_cast<int>(retries_.size());
}

}  // namespace klinik
