#include "klinik/outbox.h"

#include <google/protobuf/message.h>
#include <google/protobuf/message_lite.h>

#include <signal.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "klinik/event_types.h"
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
      // Keys and headers as bytes (msg_key and headers stay for rows written before); rows the
      // producer refuses for good are parked for an operator.
      {2, "outbox bytes and parked rows",
       "ALTER TABLE klinik_outbox ADD COLUMN key_bytes {{BLOB}};"
       "ALTER TABLE klinik_outbox ADD COLUMN header_bytes {{BLOB}};"
       "ALTER TABLE klinik_outbox ADD COLUMN parked_at BIGINT;"
       "ALTER TABLE klinik_outbox ADD COLUMN park_reason TEXT;"
       "CREATE INDEX klinik_outbox_parked ON klinik_outbox (topic, id) "
       "  WHERE parked_at IS NOT NULL AND sent_at IS NULL;"},
  };
  return kMigrations;
}

namespace {

// Columns every outbox reader selects, in this order (see RowFrom).
constexpr std::string_view kRowColumns =
    "id, topic, key_bytes, msg_key, payload, header_bytes, headers, sent_at, parked_at, "
    "park_reason";

// A row from kRowColumns; false when its headers cannot be decoded (they are left empty).
bool RowFrom(const Row& r, OutboxRow* out) {
  out->id = r.Int(0);
  out->message.topic = r.Text(1);
  out->message.key = r.IsNull(2) ? r.Text(3) : r.Text(2);
  out->message.value = r.Text(4);
  out->sent = !r.IsNull(7);
  out->parked = !r.IsNull(8);
  out->park_reason = r.Text(9);
  out->message.headers.clear();
  if (!r.IsNull(5)) return DecodeHeaders(r.Text(5), &out->message.headers);
  try {  // a row written before header_bytes: a JSON array of [name, value]
    for (const auto& h : nlohmann::json::parse(r.Text(6))) {
      out->message.headers.emplace_back(h.at(0).get<std::string>(), h.at(1).get<std::string>());
    }
    return true;
  } catch (const std::exception&) {
    out->message.headers.clear();
    return false;
  }
}

Params RowParams(const OutgoingMessage& m) {
  // msg_key and headers are NOT NULL in the first schema; new rows leave them empty.
  return {m.topic,
          std::string(),
          Blob{m.key},
          Blob{m.value},
          std::string(),
          Blob{EncodeHeaders(m.headers)},
          ToUnixMillis(Clock::now())};
}

constexpr std::string_view kInsertColumns =
    "INSERT INTO klinik_outbox (topic, msg_key, key_bytes, payload, headers, header_bytes, "
    "created_at) VALUES ";
constexpr size_t kInsertWidth = 7;

}  // namespace

std::vector<OutboxRow> ReadOutbox(Transaction& tx, std::string_view where) {
  std::string sql = "SELECT " + std::string(kRowColumns) + " FROM klinik_outbox";
  if (!where.empty()) sql += " WHERE " + std::string(where);
  sql += " ORDER BY id";
  std::vector<OutboxRow> rows;
  for (const Row& r : tx.Query(sql)) {
    OutboxRow row;
    (void)RowFrom(r, &row);
    rows.push_back(std::move(row));
  }
  return rows;
}

bool FitDeadLetter(OutgoingMessage& m, size_t max_bytes) {
  // librdkafka counts value, key and serialized headers against message.max.bytes; leave room
  // for the framing and the headers added here.
  constexpr size_t kMargin = 1024;
  const size_t budget = max_bytes > 2 * kMargin ? max_bytes - kMargin : max_bytes / 2;
  auto size = [&] {
    size_t n = m.key.size() + m.value.size();
    for (const auto& [k, v] : m.headers) n += k.size() + v.size() + 10;
    return n;
  };
  if (size() <= budget) return false;
  const size_t original_value = m.value.size();
  std::vector<std::string> cut;
  size_t over = size() - budget;
  m.value.resize(m.value.size() > over ? m.value.size() - over : 0);
  cut.emplace_back("value");
  if (size() > budget && !m.key.empty()) {
    m.key.clear();
    cut.emplace_back("key");
  }
  if (size() > budget) {
    // Keep only the dead letter's own headers: where it came from and why.
    std::erase_if(m.headers, [](const auto& h) { return !h.first.starts_with("dlq_"); });
    cut.emplace_back("headers");
  }
  std::string what;
  for (const auto& c : cut) what += (what.empty() ? "" : ",") + c;
  m.headers.emplace_back("dlq_truncated", what);
  m.headers.emplace_back("dlq_original_value_bytes", std::to_string(original_value));
  return true;
}

namespace inbox {
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

void OutboxBuffer::Add(const OutgoingMessage& m) { rows_.push_back(RowParams(m)); }

void OutboxBuffer::Flush(Transaction& tx) {
  constexpr size_t kRowChunk = 32;
  // Rows keep their order: ids are assigned in VALUES order, and the relay publishes by id.
  for (size_t start = 0; start < rows_.size(); start += kRowChunk) {
    size_t n = std::min(kRowChunk, rows_.size() - start);
    Params params;
    params.reserve(n * kInsertWidth);
    for (size_t i = 0; i < n; ++i) {
      for (Value& v : rows_[start + i]) params.push_back(std::move(v));
    }
    tx.Execute(std::string(kInsertColumns) + PlaceholderRows(n, kInsertWidth, 1), params);
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

std::string OutboxWriter::Publish(std::string_view topic, std::string_view key,
                                  std::string_view subject,
                                  const google::protobuf::Message& wrapper) {
  std::string_view ce_type = CeTypeOf(wrapper);
  if (ce_type.empty()) {
    throw std::logic_error("publishing a " + wrapper.GetDescriptor()->full_name() +
                           " that holds no case with a ce_type");
  }
  return Publish(topic, key, ce_type, subject, wrapper);
}

void OutboxWriter::PublishRaw(const OutgoingMessage& m) {
  if (buffer_) {
    buffer_->Add(m);
    ++count_;
    return;
  }
  tx_.Execute(std::string(kInsertColumns) + PlaceholderRows(1, kInsertWidth, 1), RowParams(m));
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

int64_t OutboxRelay::Parked() {
  return db_.Read([](Transaction& tx) {
    return tx
        .Query("SELECT COUNT(*) FROM klinik_outbox WHERE parked_at IS NOT NULL AND sent_at IS NULL")
        .at(0)
        .Int(0);
  });
}

bool OutboxRelay::Healthy() const {
  int64_t since = failing_since_.load();
  if (since == 0) return true;
  auto failing = std::chrono::steady_clock::now().time_since_epoch().count() - since;
  return std::chrono::steady_clock::duration(failing) < options_.unhealthy_after;
}

struct OutboxRelay::Round {
  std::vector<int64_t> delivered_ids;                      // to mark sent
  std::vector<std::pair<OutboxRow, std::string>> to_park;  // refused for good, with the reason
  bool failed = false;      // something was not delivered; retry later
  bool fatal = false;       // the producer raised a fatal error: recreate it
  bool locked_out = false;  // another replica's relay holds the outbox
  bool empty = false;       // nothing was waiting to be sent
  bool any_parked = false;  // parked rows wait for an operator
};

namespace {

// Up to `limit` unsent rows in id order. Rows behind a parked row of the same topic and key wait
// for an operator; the check costs one probe of an (almost always empty) partial index when
// nothing is parked. `any_parked` tells whether anything is.
Rows SelectUnsent(Transaction& tx, size_t limit, bool* any_parked) {
  *any_parked =
      !tx.Query(
             "SELECT 1 FROM klinik_outbox WHERE parked_at IS NOT NULL AND sent_at IS NULL "
             "LIMIT 1")
           .empty();
  std::string sql = "SELECT " + std::string(kRowColumns) +
                    " FROM klinik_outbox o WHERE sent_at IS NULL AND parked_at IS NULL";
  if (*any_parked) {
    sql +=
        " AND NOT EXISTS (SELECT 1 FROM klinik_outbox p WHERE p.parked_at IS NOT NULL AND "
        "p.sent_at IS NULL AND p.topic = o.topic AND p.key_bytes = o.key_bytes AND p.id < o.id)";
  }
  return tx.Query(sql + " ORDER BY id LIMIT $1", {static_cast<int64_t>(limit)});
}

}  // namespace

struct OutboxRelay::Sending {
  explicit Sending(size_t n)
      : out(n), reports(std::make_shared<std::vector<std::optional<DeliveryResult>>>(n)) {}

  // Whether an earlier row of row i's topic and key was not delivered this round.
  bool Held(size_t i) const {
    auto it = first_failure.find({out[i].message.topic, out[i].message.key});
    return it != first_failure.end() && it->second < i;
  }
  void Fail(size_t i) {
    auto [it, fresh] = first_failure.try_emplace({out[i].message.topic, out[i].message.key}, i);
    if (!fresh) it->second = std::min(it->second, i);
  }

  std::vector<OutboxRow> out;  // the round's rows, decoded
  // Delivery reports by row, filled by the producer's callbacks (which keep a reference).
  std::shared_ptr<std::vector<std::optional<DeliveryResult>>> reports;
  std::vector<size_t> queued;  // rows the producer took
  // Per topic and key, the first row of this round that was not delivered: rows of that key
  // after it are neither sent nor marked, so order per key holds.
  std::map<std::pair<std::string, std::string>, size_t> first_failure;
};

OutboxRelay::Round OutboxRelay::SendRound(Transaction& tx) {
  Round round;
  Rows rows = SelectUnsent(tx, options_.batch_size, &round.any_parked);
  if (rows.empty()) {
    round.empty = true;
    return round;
  }
  Sending sending(rows.size());
  SendRows(rows, sending, round);
  producer_.Flush(options_.send_timeout);
  if (options_.crash_after_delivery && !sending.queued.empty()) {
    log::Warn("test hook: crashing after delivery, before marking rows sent");
    ::kill(::getpid(), SIGKILL);
  }
  SettleRows(sending, round);
  return round;
}

void OutboxRelay::SendRows(const Rows& rows, Sending& sending, Round& round) {
  std::vector<OutboxRow>& out = sending.out;
  for (size_t i = 0; i < rows.size(); ++i) {
    if (!RowFrom(rows[i], &out[i])) {
      sending.Fail(i);
      round.to_park.emplace_back(out[i], "the row's headers cannot be decoded");
      continue;
    }
    if (sending.Held(i)) continue;
    std::string error;
    SendErrorClass error_class = SendErrorClass::kTransient;
    bool ok = producer_.Send(
        out[i].message,
        [reports = sending.reports, i, this,
         topic = out[i].message.topic](const DeliveryResult& d) {
          (*reports)[i] = d;
          if (metrics_) metrics_->EventProduced(topic, d.ok);
          if (!d.ok) log::Warn("outbox delivery failed", {{"topic", topic}, {"error", d.error}});
        },
        &error, &error_class);
    if (ok) {
      sending.queued.push_back(i);
      continue;
    }
    sending.Fail(i);
    if (error_class == SendErrorClass::kPermanent) {
      round.to_park.emplace_back(out[i], error);
      continue;
    }
    log::Warn("outbox send refused", {{"topic", out[i].message.topic}, {"error", error}});
    round.failed = true;
    round.fatal = error_class == SendErrorClass::kFatal;
    break;  // keep order: later rows wait for the next round
  }
}

void OutboxRelay::SettleRows(Sending& sending, Round& round) {
  for (size_t i : sending.queued) {
    const std::optional<DeliveryResult>& d = (*sending.reports)[i];
    if (d && d->ok) {
      // Delivered, but behind a row of its key that was not: sent again after that one.
      if (sending.Held(i)) {
        round.failed = true;
      } else {
        round.delivered_ids.push_back(sending.out[i].id);
      }
      continue;
    }
    sending.Fail(i);
    if (d && d->error_class == SendErrorClass::kPermanent) {
      round.to_park.emplace_back(sending.out[i], d->error);
      continue;
    }
    round.failed = true;  // no report in time, or a transient failure
    if (d && d->error_class == SendErrorClass::kFatal) round.fatal = true;
  }
}

void OutboxRelay::Park(Transaction& tx, const OutboxRow& row, const std::string& reason) {
  // key_bytes is set too, so a row written before it still holds back the rows of its key.
  tx.Execute(
      "UPDATE klinik_outbox SET parked_at = $1, park_reason = $2, key_bytes = $3 WHERE id = $4",
      {ToUnixMillis(Clock::now()), redact::Scrub(reason), Blob{row.message.key}, row.id});
}

void OutboxRelay::Finish(Transaction& tx, const Round& round) {
  // Exact ids, kChunk per statement (one prepared statement; a short chunk repeats its last
  // id). Not an id range: on PostgreSQL a lower id may commit after a higher one was read.
  constexpr size_t kChunk = 64;
  static const std::string sql =
      "UPDATE klinik_outbox SET sent_at = $1 WHERE id IN (" + PlaceholderList(kChunk, 2) + ")";
  int64_t now = ToUnixMillis(Clock::now());
  for (size_t start = 0; start < round.delivered_ids.size(); start += kChunk) {
    Params params{now};
    AppendPadded(params, round.delivered_ids, start, kChunk);
    tx.Execute(sql, params);
  }
  for (const auto& [row, reason] : round.to_park) Park(tx, row, reason);
}

void OutboxRelay::Observe(const Round& round) {
  for (const auto& [row, reason] : round.to_park) {
    log::Error("outbox row parked: the producer refuses it for good",
               {{"outbox_id", row.id}, {"topic", row.message.topic}, {"error", reason}});
    if (metrics_) metrics_->OutboxParked(row.message.topic);
  }
  auto now = std::chrono::steady_clock::now();
  if (round.failed) {
    int64_t expected = 0;
    failing_since_.compare_exchange_strong(expected, now.time_since_epoch().count());
  } else if (!round.locked_out) {
    failing_since_ = 0;
  }
  if (!metrics_) return;
  // Counting unsent rows scans the index: sample it, except when the round found none.
  if (round.empty && !round.any_parked) {
    metrics_->SetOutboxBacklog(0);
    metrics_->SetOutboxParked(0);
  } else if (now >= next_backlog_sample_ || !round.to_park.empty()) {
    next_backlog_sample_ = now + std::chrono::seconds(2);
    try {
      metrics_->SetOutboxBacklog(Backlog());
      metrics_->SetOutboxParked(Parked());
    } catch (const std::exception&) {
      // The database is down: the gauges keep their last values until it is back.
    }
  }
}

int OutboxRelay::PublishOnce() {
  try {
    Round round;
    if (db_.dialect() == Dialect::kPostgres) {
      // Replicas share the outbox: one relay at a time keeps the per-key order.
      round = db_.InTransaction([&](Transaction& tx) {
        auto lock = tx.Query("SELECT pg_try_advisory_xact_lock(hashtext($1))",
                             {"klinik_outbox:" + options_.service});
        Round r;
        if (lock.at(0).Text(0) != "t") {
          r.locked_out = true;
          return r;
        }
        r = SendRound(tx);
        Finish(tx, r);
        return r;
      });
    } else {
      // SQLite has one replica; do not hold its single write lock while waiting for Kafka.
      round = db_.Read([&](Transaction& tx) { return SendRound(tx); });
      if (!round.delivered_ids.empty() || !round.to_park.empty()) {
        db_.InTransaction([&](Transaction& tx) { Finish(tx, round); });
      }
    }
    if (round.fatal || !producer_.FatalError().empty()) {
      log::Error("Kafka producer fatal error; recreating it", {{"error", producer_.FatalError()}});
      producer_.Recreate();
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
    Observe(round);
    if (round.failed) return -1;
    return static_cast<int>(round.delivered_ids.size() + round.to_park.size());
  } catch (const std::exception& e) {
    // A storage error, or anything else: the relay thread must survive it.
    log::Warn("outbox relay round failed", {{"error", e.what()}});
    Round failed;
    failed.failed = true;
    Observe(failed);
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
