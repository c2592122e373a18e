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

// The id of a message whose envelope cannot be trusted: its coordinates, so a redelivery is
// still dropped.
std::string CoordinatesId(const ConsumedMessage& m) {
  return "kafka:" + m.topic + "/" + std::to_string(m.partition) + "/" + std::to_string(m.offset);
}

// An error text fit for a header and a log line: bounded, no NIK-like digit runs.
std::string ErrorText(const std::string& error) {
  constexpr size_t kMax = 1024;
  return redact::Scrub(error.size() > kMax ? error.substr(0, kMax) + "…" : error);
}

// Callbacks of committed work (counters, caches): one that throws must not turn an applied
// event into a failed one.
void RunAfterCommit(std::vector<std::function<void()>>& after) {
  for (auto& fn : after) {
    try {
      fn();
    } catch (const std::exception& e) {
      log::Error("after-commit callback failed", {{"error", e.what()}});
    } catch (...) {
      log::Error("after-commit callback failed");
    }
  }
}

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
      on_committed_(std::move(on_committed)),
      source_("/klinik/" + options_.service),
      message_max_bytes_(MessageMaxBytes(kafka)) {
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
    std::vector<const ConsumedMessage*> todo = Admit(batch);
    if (options_.crash_after_commits > 0) {
      // The test hook counts events: commit exactly that many before the crash.
      auto left = static_cast<size_t>(
          std::max<int64_t>(0, options_.crash_after_commits - committed_events_));
      if (todo.size() > left) todo.resize(left);
    }
    std::map<TopicPartition, int64_t> next_offsets;
    // Fast path: the whole batch in one transaction. When any message needs more than that (a
    // retry, a storage error, a handler bug), nothing of the batch is kept and it is redone
    // message by message, where each outcome is handled on its own.
    if (todo.size() > 1 && options_.batch_transactions && ProcessBatch(todo)) {
      for (const ConsumedMessage* m : todo) {
        attempts_.erase({m->topic, m->partition});
        next_offsets[{m->topic, m->partition}] = m->offset + 1;
      }
    } else {
      for (const ConsumedMessage* m : todo) {
        TopicPartition tp{m->topic, m->partition};
        if (retries_.count(tp)) continue;  // paused by an earlier message of this batch
        Outcome outcome = ProcessOne(*m);
        if (outcome == Outcome::kRetry) continue;
        attempts_.erase(tp);
        next_offsets[tp] = m->offset + 1;
      }
    }
    if (!next_offsets.empty()) {
      std::string error;
      if (!consumer_->Commit(next_offsets, &error)) {
        // Harmless for correctness: the inbox drops what is redelivered.
        log::Warn("offset commit failed", {{"error", error}});
      }
      if (on_committed_) on_committed_();
    }
    if (metrics_ && std::chrono::steady_clock::now() - last_lag > std::chrono::seconds(2)) {
      metrics_->SetConsumerLag(options_.group_id, consumer_->Lag());
      last_lag = std::chrono::steady_clock::now();
    }
  }
  consumer_->Close();
}

std::vector<const ConsumedMessage*> EventProcessor::Admit(
    const std::vector<ConsumedMessage>& batch) {
  std::vector<const ConsumedMessage*> out;
  out.reserve(batch.size());
  for (const ConsumedMessage& m : batch) {
    TopicPartition tp{m.topic, m.partition};
    // Paused and rewound: a message fetched before the pause is delivered again later.
    if (retries_.count(tp)) continue;
    if (auto it = rewound_to_.find(tp); it != rewound_to_.end()) {
      // After a rewind the failed message must come first; anything else is a stale prefetch
      // that will be delivered again in order (processing it would skip the failed one).
      if (m.offset != it->second) continue;
      rewound_to_.erase(it);
    }
    out.push_back(&m);
  }
  return out;
}

EventProcessor::Prepared EventProcessor::Prepare(const ConsumedMessage& m) {
  Prepared p{&m, {}, {}, {}};
  try {
    p.ce = ParseCloudEventHeaders(m.headers, &p.ce_error);
    if (p.ce && m.key.size() > options_.max_key_bytes) {
      p.ce.reset();
      p.ce_error =
          "message key is longer than " + std::to_string(options_.max_key_bytes) + " bytes";
    }
  } catch (const std::exception& e) {
    p.ce.reset();
    p.ce_error = std::string("envelope cannot be read: ") + e.what();
  }
  // Without a valid envelope the message's coordinates identify it.
  p.event_id = p.ce ? p.ce->id : CoordinatesId(m);
  return p;
}

void EventProcessor::PrepareHandler(const std::vector<const Prepared*>& events) {
  std::vector<InboundEvent> inbound;
  inbound.reserve(events.size());
  for (const Prepared* p : events) {
    if (p->ce) inbound.push_back(InboundEvent{*p->m, *p->ce});
  }
  if (inbound.empty()) return;
  try {
    handler_.Prepare(inbound);
  } catch (const std::exception& e) {
    log::Warn("handler prepare failed; events are handled without it", {{"error", e.what()}});
  } catch (...) {
    log::Warn("handler prepare failed; events are handled without it");
  }
}

EventProcessor::Outcome EventProcessor::Apply(Transaction& tx, const Prepared& p,
                                              std::vector<std::function<void()>>& after) {
  // The same claim as a batch's: recorded first, taken back by a rollback.
  if (inbox::ClaimAll(tx, options_.group_id, {p.event_id}).empty()) return Outcome::kDuplicate;
  return Handle(tx, p, after, nullptr);
}

EventProcessor::Outcome EventProcessor::Handle(Transaction& tx, const Prepared& p,
                                               std::vector<std::function<void()>>& after,
                                               OutboxBuffer* buffer) {
  OutboxWriter out(tx, source_, p.ce ? p.ce->traceparent : "", buffer);
  Outcome outcome = Outcome::kApplied;
  if (!p.ce) {
    WriteDeadLetter(out, *p.m, "contract: " + p.ce_error);
    outcome = Outcome::kDeadLetter;
  } else {
    HandleResult r = handler_.Handle(InboundEvent{*p.m, *p.ce}, out);
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
        WriteDeadLetter(out, *p.m, r.detail());
        outcome = Outcome::kDeadLetter;
        break;
      case HandleResult::Kind::kRetry:
        throw RetrySignal{r.detail()};
    }
  }
  for (auto& fn : out.TakeAfterCommit()) after.push_back(std::move(fn));
  return outcome;
}

void EventProcessor::Record(const ConsumedMessage& m, Outcome o, double seconds) {
  if (!metrics_) return;
  metrics_->EventConsumed(m.topic, OutcomeLabel(static_cast<int>(o)), seconds);
  if (o == Outcome::kDeadLetter) metrics_->DeadLetter(m.topic);
}

void EventProcessor::AfterCommit(int64_t events) {
  committed_events_ += events;
  if (options_.crash_after_commits > 0 && committed_events_ >= options_.crash_after_commits) {
    log::Warn("test hook: crashing after database commit, before offset commit");
    ::kill(::getpid(), SIGKILL);
  }
}

bool EventProcessor::ProcessBatch(const std::vector<const ConsumedMessage*>& todo) {
  auto started = std::chrono::steady_clock::now();
  std::vector<Prepared> prepared;
  prepared.reserve(todo.size());
  for (const ConsumedMessage* m : todo) prepared.push_back(Prepare(*m));
  {
    std::vector<const Prepared*> all;
    for (const Prepared& p : prepared) all.push_back(&p);
    PrepareHandler(all);
  }
  std::vector<Outcome> outcomes(todo.size(), Outcome::kApplied);
  std::vector<std::function<void()>> after;
  try {
    db_.InTransaction([&](Transaction& tx) {
      after.clear();
      // The inbox is read and written once per batch, and the outbox rows of every message
      // are inserted together before the commit: a few statements per batch, not per event.
      std::vector<std::string> ids;
      std::set<std::string> distinct;
      for (const Prepared& p : prepared) {
        if (distinct.insert(p.event_id).second) ids.push_back(p.event_id);
      }
      // Recorded up front; a rollback takes the records back with everything else.
      std::set<std::string> fresh = inbox::ClaimAll(tx, options_.group_id, ids);
      OutboxBuffer buffer;
      for (size_t i = 0; i < prepared.size(); ++i) {
        // Processed before, or a second copy within this batch.
        if (fresh.erase(prepared[i].event_id) == 0) {
          outcomes[i] = Outcome::kDuplicate;
          continue;
        }
        outcomes[i] = Handle(tx, prepared[i], after, &buffer);
      }
      buffer.Flush(tx);
    });
  } catch (...) {
    return false;  // a retry, or any failure: redone one by one, each message gets its outcome
  }
  RunAfterCommit(after);
  double each = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() /
                static_cast<double>(todo.size());
  for (size_t i = 0; i < todo.size(); ++i) {
    if (outcomes[i] == Outcome::kDeadLetter) {
      log::Warn("dead letter", {{"topic", todo[i]->topic},
                                {"partition", todo[i]->partition},
                                {"offset", todo[i]->offset}});
    }
    Record(*todo[i], outcomes[i], each);
  }
  AfterCommit(static_cast<int64_t>(todo.size()));
  return true;
}

EventProcessor::Outcome EventProcessor::ProcessOne(const ConsumedMessage& m) {
  auto started = std::chrono::steady_clock::now();
  Prepared p = Prepare(m);
  PrepareHandler({&p});
  Outcome outcome = Outcome::kApplied;
  auto record = [&](Outcome o) {
    Record(m, o, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  std::vector<std::function<void()>> after;
  try {
    db_.InTransaction([&](Transaction& tx) {
      after.clear();
      outcome = Apply(tx, p, after);
    });
    RunAfterCommit(after);
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
    if (!DeadLetterAfterFailure(m, p.event_id, std::string("storage error: ") + e.what())) {
      record(Outcome::kRetry);
      return Outcome::kRetry;
    }
    outcome = Outcome::kDeadLetter;
  } catch (...) {
    // A handler bug (any exception type) must not stop the partition or the process: park the
    // message, keep it findable.
    std::string what = "unknown exception";
    try {
      throw;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log::Error("handler failed; dead-lettering",
               {{"topic", m.topic}, {"offset", m.offset}, {"error", ErrorText(what)}});
    if (!DeadLetterAfterFailure(m, p.event_id, "handler error: " + what)) {
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
  AfterCommit(1);
  return outcome;
}

bool EventProcessor::DeadLetterAfterFailure(const ConsumedMessage& m, const std::string& event_id,
                                            const std::string& error) {
  TopicPartition tp{m.topic, m.partition};
  auto write = [&](bool minimal) {
    db_.InTransaction([&](Transaction& tx) {
      OutboxWriter out(tx, source_);
      if (minimal) {
        WriteMinimalDeadLetter(out, m, error);
      } else {
        WriteDeadLetter(out, m, error);
      }
      inbox::ClaimAll(tx, options_.group_id, {minimal ? CoordinatesId(m) : event_id});
    });
    attempts_.erase(tp);
  };
  std::string why;
  try {
    write(false);
    return true;
  } catch (const StorageError& e) {
    if (e.retryable()) {
      ScheduleRetry(tp, m.offset, e.what());
      return false;
    }
    why = e.what();
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown exception";
  }
  // The message itself is what the database refuses: keep where it came from and why.
  log::Error("full dead letter refused; writing a minimal one",
             {{"topic", m.topic}, {"offset", m.offset}, {"error", ErrorText(why)}});
  try {
    write(true);
    return true;
  } catch (const std::exception& e) {
    ScheduleRetry(tp, m.offset, e.what());
  } catch (...) {
    ScheduleRetry(tp, m.offset, "unknown exception");
  }
  return false;
}

void EventProcessor::AppendDeadLetterHeaders(const ConsumedMessage& m, const std::string& error,
                                             Headers& headers) const {
  headers.emplace_back("dlq_origin_topic", m.topic);
  headers.emplace_back("dlq_origin_partition", std::to_string(m.partition));
  headers.emplace_back("dlq_origin_offset", std::to_string(m.offset));
  headers.emplace_back("dlq_service", options_.service);
  headers.emplace_back("dlq_error", ErrorText(error));
  headers.emplace_back("dlq_time", FormatRfc3339(Clock::now(), true));
}

void EventProcessor::WriteDeadLetter(OutboxWriter& out, const ConsumedMessage& m,
                                     const std::string& error) {
  OutgoingMessage dl;
  dl.topic = std::string(topics::kDeadLetter);
  dl.key = m.key;
  dl.value = m.value;
  dl.headers = m.headers;
  AppendDeadLetterHeaders(m, error, dl.headers);
  if (FitDeadLetter(dl, message_max_bytes_)) {
    log::Warn("dead letter cut to the producer's limit",
              {{"topic", m.topic}, {"offset", m.offset}, {"value_bytes", m.value.size()}});
  }
  out.PublishRaw(dl);
}

void EventProcessor::WriteMinimalDeadLetter(OutboxWriter& out, const ConsumedMessage& m,
                                            const std::string& error) {
  OutgoingMessage dl;
  dl.topic = std::string(topics::kDeadLetter);
  AppendDeadLetterHeaders(m, error, dl.headers);
  dl.headers.emplace_back("dlq_truncated", "value,key,headers");
  dl.headers.emplace_back("dlq_original_value_bytes", std::to_string(m.value.size()));
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
  retries_[tp] = RetryState{std::chrono::steady_clock::now() + delay};
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
