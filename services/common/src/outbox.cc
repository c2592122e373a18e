#include "klinik/outbox.h"

#include <google/protobuf/message_lite.h>

#include <nlohmann/json.hpp>

#include "klinik/log.h"
#include "klinik/metrics.h"
#include "klinik/time_util.h"

namespace klinik {

const std::vector<Migration>& PlatformMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "outbox and inbox",
       "CREATE TABLE klinik_outbox ("
       "  id {{AUTOINCREMENT}},"
       "  topic TEXT NOT NULL,"
       "  msg_key TEXT NOT NULL,"
       "  payload {{BLOB}} NOT NULL,"
       "  headers TEXT NOT NULL,"  // JSON array of [name, value]
       "  created_at BIGINT NOT NULL,"
       "  sent_at BIGINT);"
       "CREATE INDEX klinik_outbox_unsent ON klinik_outbox (id) WHERE sent_at IS NULL;"
       "CREATE INDEX klinik_outbox_sent ON klinik_outbox (sent_at) WHERE sent_at IS NOT NULL;"
       "CREATE TABLE klinik_inbox ("
       "  consumer TEXT NOT NULL,"
       "  event_id TEXT NOT NULL,"
       "  processed_at BIGINT NOT NULL,"
       "  PRIMARY KEY (consumer, event_id));"},
  };
  return kMigrations;
}

namespace inbox {

bool Seen(Transaction& tx, std::string_view consumer, std::string_view event_id) {
  return !tx.Query("SELECT 1 FROM klinik_inbox WHERE consumer = $1 AND event_id = $2",
                   {std::string(consumer), std::string(event_id)})
              .empty();
}

void Record(Transaction& tx, std::string_view consumer, std::string_view event_id) {
  tx.Execute("INSERT INTO klinik_inbox (consumer, event_id, processed_at) VALUES ($1, $2, $3)",
             {std::string(consumer), std::string(event_id), ToUnixMillis(Clock::now())});
}

namespace {

constexpr size_t kIdChunk = 64;

}  // namespace

std::set<std::string> ClaimAll(Transaction& tx, std::string_view consumer,
                               const std::vector<std::string>& event_ids) {
  std::set<std::string> fresh;
  int64_t now = ToUnixMillis(Clock::now());
  for (size_t start = 0; start < event_ids.size(); start += kIdChunk) {
    size_t n = std::min(kIdChunk, event_ids.size() - start);
    Params params;
    params.reserve(n * 3);
    for (size_t i = 0; i < n; ++i) {
      params.emplace_back(std::string(consumer));
      params.emplace_back(event_ids[start + i]);
      params.emplace_back(now);
    }
    for (const Row& r :
         tx.Query("INSERT INTO klinik_inbox (consumer, event_id, processed_at) "
                  "VALUES " +
                      PlaceholderRows(n, 3, 1) +
                      " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id",
                  params)) {
      fresh.insert(r.Text(0));
    }
  }
  return fresh;
}

}  // namespace inbox

void OutboxBuffer::Add(const OutgoingMessage& m) {
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [k, v] : m.headers) headers.push_back({k, v});
  rows_.push_back({m.topic, m.key, Blob{m.value}, headers.dump(), ToUnixMillis(Clock::now())});
}

void OutboxBuffer::Flush(Transaction& tx) {
  constexpr size_t kRowChunk = 32;
  // Rows keep their order: ids are assigned in VALUES order, and the relay publishes by id.
  for (size_t start = 0; start < rows_.size(); start += kRowChunk) {
    size_t n = std::min(kRowChunk, rows_.size() - start);
    Params params;
    params.reserve(n * 5);
    for (size_t i = 0; i < n; ++i) {
      for (Value& v : rows_[start + i]) params.push_back(std::move(v));
    }
    tx.Execute("INSERT INTO klinik_outbox (topic, msg_key, payload, headers, created_at) VALUES " +
                   PlaceholderRows(n, 5, 1),
               params);
  }
  rows_.clear();
}

OutboxWriter::OutboxWriter(Transaction& tx, std::string source, std::string parent_traceparent,
                           OutboxBuffer* buffer)
    : tx_(tx),
      source_(std::move(source)),
      parent_traceparent_(std::move(parent_traceparent)),
      buffer_(buffer) {}

std::string OutboxWriter::Publish(std::string_view topic, std::string_view key,
                                  std::string_view ce_type, std::string_view subject,
                                  const google::protobuf::MessageLite& payload) {
  CloudEvent ce =
      NewCloudEvent(std::string(ce_type), source_, std::string(subject), parent_traceparent_);
  OutgoingMessage m;
  m.topic = topic;
  m.key = key;
  payload.SerializeToString(&m.value);
  AppendCloudEventHeaders(ce, m.headers);
  PublishRaw(m);
  return ce.id;
}

void OutboxWriter::PublishRaw(const OutgoingMessage& m) {
  if (buffer_) {
    buffer_->Add(m);
    ++count_;
    return;
  }
  nlohmann::json headers = nlohmann::json::array();
  for (const auto& [k, v] : m.headers) headers.push_back({k, v});
  tx_.Execute(
      "INSERT INTO klinik_outbox (topic, msg_key, payload, headers, created_at) VALUES ($1, $2, "
      "$3, $4, $5)",
      {m.topic, m.key, Blob{m.value}, headers.dump(), ToUnixMillis(Clock::now())});
  ++count_;
}

OutboxRelay::OutboxRelay(Database& db, Producer& producer, Metrics* metrics,
                         OutboxRelayOptions options)
    : db_(db), producer_(producer), metrics_(metrics), options_(std::move(options)) {}

OutboxRelay::~OutboxRelay() { Stop(std::chrono::milliseconds(0)); }

void OutboxRelay::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void OutboxRelay::Wake() {
  std::lock_guard lock(mutex_);
  woken_ = true;
  wake_.notify_one();
}

void OutboxRelay::Stop(std::chrono::milliseconds drain) {
  if (!thread_.joinable()) return;
  stop_ = true;
  Wake();
  thread_.join();
  auto deadline = std::chrono::steady_clock::now() + drain;
  while (std::chrono::steady_clock::now() < deadline) {
    int sent = PublishOnce();
    if (sent == 0) break;
    if (sent < 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  producer_.Flush(std::chrono::milliseconds(5000));
}

int64_t OutboxRelay::Backlog() {
  return db_.Read([](Transaction& tx) {
    return tx.Query("SELECT COUNT(*) FROM klinik_outbox WHERE sent_at IS NULL").at(0).Int(0);
  });
}

namespace {

struct RoundResult {
  std::vector<int64_t> delivered_ids;  // to mark sent
  bool failed = false;                 // something was not delivered; retry later
  bool locked_out = false;             // another replica's relay holds the outbox
};

}  // namespace

int OutboxRelay::PublishOnce() {
  // Reads the oldest unsent rows, sends them and waits for their delivery reports.
  auto send_round = [&](Transaction& tx) {
    RoundResult round;
    Rows rows = tx.Query(
        "SELECT id, topic, msg_key, payload, headers FROM klinik_outbox WHERE sent_at IS NULL "
        "ORDER BY id LIMIT $1",
        {static_cast<int64_t>(options_.batch_size)});
    if (rows.empty()) return round;
    auto delivered = std::make_shared<std::vector<char>>(rows.size(), 0);
    size_t queued = 0;
    for (size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      OutgoingMessage m{r.Text(1), r.Text(2), r.Text(3), {}};
      for (const auto& h : nlohmann::json::parse(r.Text(4))) {
        m.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
      }
      std::string error;
      bool ok = producer_.Send(
          m,
          [delivered, i, this, topic = m.topic](const DeliveryResult& d) {
            (*delivered)[i] = d.ok ? 1 : 2;
            if (metrics_) metrics_->EventProduced(topic, d.ok);
            if (!d.ok) log::Warn("outbox delivery failed", {{"topic", topic}, {"error", d.error}});
          },
          &error);
      if (!ok) {
        log::Warn("outbox send refused", {{"error", error}});
        break;  // keep order: later rows wait for the next round
      }
      ++queued;
    }
    producer_.Flush(options_.send_timeout);
    round.failed = queued < rows.size();
    for (size_t i = 0; i < queued; ++i) {
      if ((*delivered)[i] == 1) {
        round.delivered_ids.push_back(rows[i].Int(0));
      } else {
        round.failed = true;
      }
    }
    return round;
  };
  auto mark_sent = [](Transaction& tx, const std::vector<int64_t>& ids) {
    // Exact ids, kChunk per statement (one prepared statement; a short chunk repeats its last
    // id). Not an id range: on PostgreSQL a lower id may commit after a higher one was read.
    constexpr size_t kChunk = 64;
    static const std::string sql =
        "UPDATE klinik_outbox SET sent_at = $1 WHERE id IN (" + PlaceholderList(kChunk, 2) + ")";
    int64_t now = ToUnixMillis(Clock::now());
    for (size_t start = 0; start < ids.size(); start += kChunk) {
      Params params{now};
      AppendPadded(params, ids, start, kChunk);
      tx.Execute(sql, params);
    }
  };

  try {
    RoundResult round;
    if (db_.dialect() == Dialect::kPostgres) {
      // Replicas share the outbox: one relay at a time keeps the per-key order.
      round = db_.InTransaction([&](Transaction& tx) {
        auto lock = tx.Query("SELECT pg_try_advisory_xact_lock(hashtext($1))",
                             {"klinik_outbox:" + options_.service});
        if (lock.at(0).Text(0) != "t") return RoundResult{{}, false, true};
        RoundResult r = send_round(tx);
        mark_sent(tx, r.delivered_ids);
        return r;
      });
    } else {
      // SQLite has one replica; do not hold its single write lock while waiting for Kafka.
      round = db_.Read(send_round);
      if (!round.delivered_ids.empty()) {
        db_.InTransaction([&](Transaction& tx) { mark_sent(tx, round.delivered_ids); });
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= next_prune_) {
      next_prune_ = now + std::chrono::minutes(5);
      int64_t cutoff = ToUnixMillis(Clock::now() - options_.retention);
      db_.InTransaction([&](Transaction& tx) {
        tx.Execute("DELETE FROM klinik_outbox WHERE sent_at IS NOT NULL AND sent_at < $1",
                   {cutoff});
      });
    }
    if (metrics_) {
      // Counting unsent rows scans the index: sample it, except when the round found none.
      if (round.delivered_ids.empty() && !round.failed && !round.locked_out) {
        metrics_->SetOutboxBacklog(0);
      } else if (now >= next_backlog_sample_) {
        next_backlog_sample_ = now + std::chrono::seconds(2);
        metrics_->SetOutboxBacklog(Backlog());
      }
    }
    return round.failed ? -1 : static_cast<int>(round.delivered_ids.size());
  } catch (const StorageError& e) {
    log::Warn("outbox relay storage error", {{"error", e.what()}});
    return -1;
  }
}

void OutboxRelay::Loop() {
  while (!stop_) {
    int sent = PublishOnce();
    if (sent > 0 && static_cast<size_t>(sent) >= options_.batch_size) continue;  // more waiting
    auto wait = sent < 0 ? options_.retry_interval : options_.idle_interval;
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, wait, [&] { return woken_ || stop_.load(); });
    woken_ = false;
  }
}

}  // namespace klinik
