#include "klinik/kafka.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <condition_variable>

#include "internal/kafka_holders.h"
#include "klinik/config.h"
#include "klinik/log.h"

namespace klinik {
namespace {

std::unique_ptr<RdKafka::Conf> MakeConf(const KafkaSettings& settings,
                                        const std::map<std::string, std::string>& overrides) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  auto set = [&](const std::string& key, const std::string& value) {
    if (conf->set(key, value, err) != RdKafka::Conf::CONF_OK) {
      throw KafkaError("Kafka property '" + key + "': " + err);
    }
  };
  for (const auto& [k, v] : settings.properties) set(k, v);
  for (const auto& [k, v] : overrides) set(k, v);
  return conf;
}

Headers CopyHeaders(RdKafka::Headers* headers) {
  Headers out;
  if (headers == nullptr) return out;
  for (const auto& h : headers->get_all()) {
    out.emplace_back(h.key(), h.value()
                                  ? std::string(static_cast<const char*>(h.value()), h.value_size())
                                  : std::string());
  }
  return out;
}

// Routes librdkafka's own log lines into our JSON log.
class LogBridge : public RdKafka::EventCb {
 public:
  void event_cb(RdKafka::Event& event) override {
    if (event.type() == RdKafka::Event::EVENT_ERROR) {
      log::Warn("kafka client error",
                {{"error", event.str()}, {"code", RdKafka::err2str(event.err())}});
    } else if (event.type() == RdKafka::Event::EVENT_LOG &&
               event.severity() <= RdKafka::Event::EVENT_SEVERITY_WARNING) {
      log::Warn("kafka client log", {{"facility", event.fac()}, {"detail", event.str()}});
    }
  }
};
LogBridge g_log_bridge;

}  // namespace

KafkaSettings KafkaSettings::FromConfig(const Config& config, const std::string& client_id) {
  KafkaSettings s;
  s.properties = config.KafkaProperties();
  s.properties.try_emplace("bootstrap.servers", "127.0.0.1:9092");
  s.properties.try_emplace("client.id", client_id);
  // Probe the properties now, so a bad KLINIK_KAFKA_* value stops the service at start.
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string err;
  for (const auto& [k, v] : s.properties) {
    if (conf->set(k, v, err) != RdKafka::Conf::CONF_OK) {
      std::string name = "KLINIK_KAFKA_";
      for (char c : k) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
      throw ConfigError(name + ": " + err);
    }
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Producer

SendErrorClass ClassifySendError(int code) {
  switch (static_cast<rd_kafka_resp_err_t>(code)) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return SendErrorClass::kNone;
    case RD_KAFKA_RESP_ERR__FATAL:
      return SendErrorClass::kFatal;
    // The message itself can never be accepted as it is.
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR__BAD_MSG:
    // Its topic or partition does not exist (librdkafka's local verdict, given once the cluster's
    // metadata says so after topic.metadata.propagation.max.ms) or its name is not a valid topic
    // name. A broker's UNKNOWN_TOPIC_OR_PART is not among these: brokers answer it while a new
    // topic propagates or a partition moves, so it is retried.
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return SendErrorClass::kPermanent;
    default:
      // Queue full, timed out, broker down, not authorised (an operator can fix the ACL): the
      // same message may go through later.
      return SendErrorClass::kTransient;
  }
}

size_t MessageMaxBytes(const KafkaSettings& settings) {
  auto it = settings.properties.find("message.max.bytes");
  if (it == settings.properties.end()) return kDefaultMessageMaxBytes;
  try {
    return static_cast<size_t>(std::stoull(it->second));
  } catch (const std::exception&) {
    return kDefaultMessageMaxBytes;  // librdkafka refused it at start already
  }
}

class Producer::DeliveryReporter : public RdKafka::DeliveryReportCb {
 public:
  using Callback = std::function<void(const DeliveryResult&)>;
  void dr_cb(RdKafka::Message& message) override {
    // Send() released the callback to librdkafka; its one delivery report takes it back.
    std::unique_ptr<Callback> cb(static_cast<Callback*>(message.msg_opaque()));
    if (!cb) return;
    DeliveryResult r;
    r.ok = message.err() == RdKafka::ERR_NO_ERROR;
    if (!r.ok) {
      r.error = message.errstr();
      r.error_class = ClassifySendError(message.err());
    }
    r.partition = message.partition();
    r.offset = message.offset();
    (*cb)(r);
  }
};

Producer::Producer(const KafkaSettings& settings)
    : settings_(settings),
      message_max_bytes_(MessageMaxBytes(settings)),
      reporter_(std::make_unique<DeliveryReporter>()) {
  Create();
}

void Producer::Create() {
  auto conf = MakeConf(settings_, {{"enable.idempotence", "true"},
                                   {"acks", "all"},
                                   {"linger.ms", "5"},
                                   {"compression.type", "lz4"},
                                   {"message.timeout.ms", "120000"}});
  std::string err;
  conf->set("dr_cb", reporter_.get(), err);
  conf->set("event_cb", &g_log_bridge, err);
  producer_.reset(RdKafka::Producer::create(conf.get(), err));
  if (!producer_) throw KafkaError("cannot create Kafka producer: " + err);
}

Producer::~Producer() {
  if (producer_) producer_->flush(5000);
}

std::string Producer::FatalError() const {
  std::string reason;
  if (producer_->fatal_error(reason) == RdKafka::ERR_NO_ERROR) return "";
  return reason.empty() ? "fatal error" : reason;
}

void Producer::Recreate() {
  // Whatever is still queued or in flight fails now, so every delivery callback runs (and its
  // row stays unsent) before the old instance goes.
  producer_->purge(RdKafka::Producer::PURGE_QUEUE | RdKafka::Producer::PURGE_INFLIGHT);
  producer_->flush(1000);
  producer_->poll(0);
  producer_.reset();
  Create();
  ++recreations_;
  log::Warn("Kafka producer recreated", {{"recreations", recreations_}});
}

void Producer::TriggerFatalErrorForTesting(const std::string& reason) {
  rd_kafka_test_fatal_error(producer_->c_ptr(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            reason.c_str());
}

bool Producer::Send(const OutgoingMessage& m,
                    std::function<void(const DeliveryResult&)> on_delivery, std::string* error,
                    SendErrorClass* error_class) {
  // Both stay ours until produce() accepts the message, so a refusal frees them here.
  std::unique_ptr<RdKafka::Headers> headers(RdKafka::Headers::create());
  for (const auto& [k, v] : m.headers) headers->add(k, v.data(), v.size());
  auto opaque = std::make_unique<DeliveryReporter::Callback>(std::move(on_delivery));
  for (int attempt = 0;; ++attempt) {
    RdKafka::ErrorCode code = producer_->produce(
        m.topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
        const_cast<char*>(m.value.data()), m.value.size(), m.key.empty() ? nullptr : m.key.data(),
        m.key.size(), 0, headers.get(), opaque.get());
    if (code == RdKafka::ERR_NO_ERROR) {
      headers.release();  // produce() deletes the headers of a message it accepts
      opaque.release();   // DeliveryReporter::dr_cb deletes it with the delivery report
      return true;
    }
    if (code == RdKafka::ERR__QUEUE_FULL && attempt < 50) {
      producer_->poll(100);  // make room by serving delivery reports
      continue;
    }
    if (error) *error = RdKafka::err2str(code);
    if (error_class) *error_class = ClassifySendError(code);
    return false;
  }
}

void Producer::Poll(std::chrono::milliseconds timeout) {
  producer_->poll(static_cast<int>(timeout.count()));
}

bool Producer::Flush(std::chrono::milliseconds timeout) {
  return producer_->flush(static_cast<int>(timeout.count())) == RdKafka::ERR_NO_ERROR;
}

DeliveryResult Producer::SendSync(const OutgoingMessage& m, std::chrono::milliseconds timeout) {
  auto result = std::make_shared<DeliveryResult>();
  auto done = std::make_shared<bool>(false);
  std::string error;
  if (!Send(
          m,
          [result, done](const DeliveryResult& r) {
            *result = r;
            *done = true;
          },
          &error)) {
    return {false, error};
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!*done && std::chrono::steady_clock::now() < deadline) producer_->poll(50);
  if (!*done) return {false, "delivery timed out"};
  return *result;
}

// ---------------------------------------------------------------------------------------------
// Consumer

class Consumer::Rebalancer : public RdKafka::RebalanceCb {
 public:
  explicit Rebalancer(RebalanceListener* listener) : listener_(listener) {}
  void rebalance_cb(RdKafka::KafkaConsumer* consumer, RdKafka::ErrorCode err,
                    std::vector<RdKafka::TopicPartition*>& partitions) override {
    std::vector<TopicPartition> tps;
    for (auto* p : partitions) tps.push_back({p->topic(), p->partition()});
    if (err == RdKafka::ERR__ASSIGN_PARTITIONS) {
      consumer->assign(partitions);
      if (listener_) listener_->OnAssigned(tps);
      log::Info("partitions assigned", {{"count", tps.size()}});
    } else {
      if (listener_) listener_->OnRevoked(tps);
      consumer->unassign();
      log::Info("partitions revoked", {{"count", tps.size()}});
    }
  }

 private:
  RebalanceListener* listener_;
};

Consumer::Consumer(const KafkaSettings& settings, const std::string& group_id,
                   const std::vector<std::string>& topics, RebalanceListener* listener)
    : rebalancer_(std::make_unique<Rebalancer>(listener)) {
  std::map<std::string, std::string> overrides = {{"group.id", group_id},
                                                  {"enable.auto.commit", "false"},
                                                  {"enable.auto.offset.store", "false"},
                                                  {"auto.offset.reset", "earliest"},
                                                  {"enable.partition.eof", "false"}};
  // Caller-provided properties (e.g. session.timeout.ms for the devbroker) still win.
  for (const auto& [k, v] : settings.properties) overrides.erase(k);
  auto conf = MakeConf(settings, overrides);
  std::string err;
  conf->set("rebalance_cb", rebalancer_.get(), err);
  conf->set("event_cb", &g_log_bridge, err);
  consumer_.reset(RdKafka::KafkaConsumer::create(conf.get(), err));
  if (!consumer_) throw KafkaError("cannot create Kafka consumer: " + err);
  RdKafka::ErrorCode code = consumer_->subscribe(topics);
  if (code != RdKafka::ERR_NO_ERROR)
    throw KafkaError("cannot subscribe: " + RdKafka::err2str(code));
}

Consumer::~Consumer() { Close(); }

void Consumer::Close() {
  if (closed_.exchange(true)) return;
  consumer_->close();
}

std::vector<ConsumedMessage> Consumer::PollBatch(size_t max, std::chrono::milliseconds timeout) {
  std::vector<ConsumedMessage> batch;
  int wait_ms = static_cast<int>(timeout.count());
  while (batch.size() < max) {
    std::unique_ptr<RdKafka::Message> msg(consumer_->consume(batch.empty() ? wait_ms : 0));
    if (!msg) break;
    if (msg->err() == RdKafka::ERR__TIMED_OUT || msg->err() == RdKafka::ERR__PARTITION_EOF) break;
    if (msg->err() != RdKafka::ERR_NO_ERROR) {
      log::Warn("kafka consume error", {{"error", msg->errstr()}});
      break;
    }
    ConsumedMessage m;
    m.topic = msg->topic_name();
    m.partition = msg->partition();
    m.offset = msg->offset();
    if (msg->key_pointer()) {
      m.key.assign(static_cast<const char*>(msg->key_pointer()), msg->key_len());
    }
    m.value.assign(static_cast<const char*>(msg->payload()), msg->len());
    m.headers = CopyHeaders(msg->headers());
    m.timestamp_ms = msg->timestamp().timestamp;
    batch.push_back(std::move(m));
  }
  return batch;
}

bool Consumer::Commit(const std::map<TopicPartition, int64_t>& next_offsets, std::string* error) {
  if (next_offsets.empty()) return true;
  TopicPartitionListHolder list;
  for (const auto& [tp, offset] : next_offsets) list.Add(tp.topic, tp.partition, offset);
  RdKafka::ErrorCode code = consumer_->commitSync(list.get());
  if (code != RdKafka::ERR_NO_ERROR) {
    if (error) *error = RdKafka::err2str(code);
    return false;
  }
  return true;
}

void Consumer::Pause(const TopicPartition& tp) {
  TopicPartitionListHolder list;
  list.Add(tp.topic, tp.partition);
  consumer_->pause(list.get());
}

void Consumer::Resume(const TopicPartition& tp) {
  TopicPartitionListHolder list;
  list.Add(tp.topic, tp.partition);
  consumer_->resume(list.get());
}

bool Consumer::Seek(const TopicPartition& tp, int64_t offset) {
  std::unique_ptr<RdKafka::TopicPartition> p(
      RdKafka::TopicPartition::create(tp.topic, tp.partition, offset));
  return consumer_->seek(*p, 5000) == RdKafka::ERR_NO_ERROR;
}

std::vector<TopicPartition> Consumer::Assignment() {
  TopicPartitionListHolder list;
  consumer_->assignment(list.get());
  std::vector<TopicPartition> out;
  for (auto* p : list.get()) out.push_back({p->topic(), p->partition()});
  return out;
}

int64_t Consumer::Lag() {
  TopicPartitionListHolder list;
  if (consumer_->assignment(list.get()) != RdKafka::ERR_NO_ERROR) return -1;
  consumer_->position(list.get());
  int64_t lag = 0;
  for (auto* p : list.get()) {
    int64_t low = 0, high = 0;
    if (consumer_->get_watermark_offsets(p->topic(), p->partition(), &low, &high) !=
        RdKafka::ERR_NO_ERROR) {
      continue;
    }
    int64_t pos = p->offset() >= 0 ? p->offset() : low;
    if (high > pos) lag += high - pos;
  }
  return lag;
}

// ---------------------------------------------------------------------------------------------
// Admin

namespace {

// The admin client's conf with every property set; null with `error` set when one is refused.
ConfHolder MakeAdminConf(const KafkaSettings& settings, std::string* error) {
  ConfHolder conf(rd_kafka_conf_new());
  char err[512];
  for (const auto& [k, v] : settings.properties) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      *error = "Kafka property '" + k + "': " + err;
      return nullptr;
    }
  }
  return conf;
}

// "" when every topic was created or already existed, else the first failure.
std::string CreateTopicsOutcome(rd_kafka_event_t* event) {
  if (rd_kafka_event_error(event)) return rd_kafka_event_error_string(event);
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
  if (result == nullptr) {
    return std::string("CreateTopics: unexpected event ") + rd_kafka_event_name(event);
  }
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  for (size_t i = 0; i < n; ++i) {
    rd_kafka_resp_err_t e = rd_kafka_topic_result_error(results[i]);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      return std::string(rd_kafka_topic_result_name(results[i])) + ": " + rd_kafka_err2str(e);
    }
  }
  return "";
}

}  // namespace

std::string CreateTopics(const KafkaSettings& settings, const std::vector<std::string>& topics,
                         int partitions, std::chrono::milliseconds timeout) {
  std::string error;
  ConfHolder conf = MakeAdminConf(settings, &error);
  if (!conf) return error;
  char err[512];
  KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
  if (!rk) return std::string("cannot create admin client: ") + err;
  conf.release();  // rd_kafka_new owns the conf of the handle it returned
  // Everything below is made from rk and declared after it, so it is destroyed before rk.
  QueueHolder queue(rd_kafka_queue_new(rk.get()));
  std::vector<NewTopicHolder> owned_topics;
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  owned_topics.reserve(topics.size());
  for (const auto& t : topics) {
    owned_topics.emplace_back(rd_kafka_NewTopic_new(t.c_str(), partitions, 1, err, sizeof err));
    if (!owned_topics.back()) return "topic '" + t + "': " + err;
    new_topics.push_back(owned_topics.back().get());
  }
  AdminOptionsHolder options(rd_kafka_AdminOptions_new(rk.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  if (!options) return "cannot create admin options for CreateTopics";
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()), err,
                                              sizeof err);
  // rd_kafka_CreateTopics copies the NewTopic objects: owned_topics still frees ours.
  rd_kafka_CreateTopics(rk.get(), new_topics.data(), new_topics.size(), options.get(), queue.get());
  EventHolder event(rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 2000));
  if (!event) return "CreateTopics timed out";
  return CreateTopicsOutcome(event.get());
}

}  // namespace klinik
