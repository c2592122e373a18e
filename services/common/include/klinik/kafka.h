// Kafka clients for every service, owned RAII-style around librdkafka's C++ API.
//
// Producer: idempotent (enable.idempotence, acks=all), so retries inside librdkafka never
// reorder or duplicate. Consumer: a consumer group with manual offset commits only — offsets
// are committed by the EventProcessor after the batch's database transactions commit.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "klinik/cloudevents.h"

namespace RdKafka {
class KafkaConsumer;
class Producer;
class Conf;
}  // namespace RdKafka

namespace klinik {

class Config;

// Client properties shared by producer and consumer (bootstrap.servers, security…).
struct KafkaSettings {
  std::map<std::string, std::string> properties;
  // KLINIK_KAFKA_* pass-through; bootstrap.servers defaults to 127.0.0.1:9092.
  static KafkaSettings FromConfig(const Config& config, const std::string& client_id);
};

// Thrown at start-up when librdkafka refuses a property (names the property).
class KafkaError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  Headers headers;
};

// What a refused or failed send means for the row behind it.
enum class SendErrorClass {
  kNone,
  kTransient,  // try again later (broker down, queue full, timed out, not authorised yet)
  kPermanent,  // this message can never be delivered as it is (too large, no such topic)
  kFatal,      // the producer instance is unusable (idempotence broken): recreate it
};

// The class of a librdkafka error code (rd_kafka_resp_err_t as an int).
SendErrorClass ClassifySendError(int code);

struct DeliveryResult {
  bool ok = false;
  std::string error;  // librdkafka's text when !ok
  int32_t partition = -1;
  int64_t offset = -1;
  SendErrorClass error_class = SendErrorClass::kNone;
};

// librdkafka's default `message.max.bytes`, and what a setting says it is.
inline constexpr size_t kDefaultMessageMaxBytes = 1000000;
size_t MessageMaxBytes(const KafkaSettings& settings);

class Producer {
 public:
  explicit Producer(const KafkaSettings& settings);
  virtual ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a message; `on_delivery` runs once, from Poll() or Flush(), with the broker's answer.
  // Returns false (and does not call on_delivery) when librdkafka refused the message at once;
  // `error` and `error_class` then say why. Virtual so tests can inject refusals.
  [[nodiscard]] virtual bool Send(const OutgoingMessage& message,
                                  std::function<void(const DeliveryResult&)> on_delivery,
                                  std::string* error = nullptr,
                                  SendErrorClass* error_class = nullptr);
  void Poll(std::chrono::milliseconds timeout);
  // Waits until every queued message has a delivery report; false on timeout.
  bool Flush(std::chrono::milliseconds timeout);
  // Sends and waits for the delivery report (tests, tools).
  DeliveryResult SendSync(const OutgoingMessage& message, std::chrono::milliseconds timeout);

  // The idempotent producer's fatal error, if one was raised ("" when none): every later send
  // fails until Recreate().
  [[nodiscard]] std::string FatalError() const;
  // Fails what is still queued (each delivery callback runs with an error) and replaces the
  // librdkafka instance with a new one from the same settings. Not thread-safe against Send.
  void Recreate();
  [[nodiscard]] int recreations() const { return recreations_; }
  // Test hook: raises a real fatal error in librdkafka (rd_kafka_test_fatal_error).
  void TriggerFatalErrorForTesting(const std::string& reason);
  [[nodiscard]] size_t message_max_bytes() const { return message_max_bytes_; }

 private:
  class DeliveryReporter;
  void Create();
  KafkaSettings settings_;
  size_t message_max_bytes_;
  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<RdKafka::Producer> producer_;
  int recreations_ = 0;
};

struct ConsumedMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  Headers headers;
  int64_t timestamp_ms = 0;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// Told of partitions gained and lost, so per-partition state (pauses, retries) can be reset.
struct RebalanceListener {
  virtual ~RebalanceListener() = default;
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

class Consumer {
 public:
  Consumer(const KafkaSettings& settings, const std::string& group_id,
           const std::vector<std::string>& topics, RebalanceListener* listener = nullptr);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // Up to `max` messages, waiting at most `timeout` for the first and then taking what is ready.
  std::vector<ConsumedMessage> PollBatch(size_t max, std::chrono::milliseconds timeout);
  // Commits the next offsets to read (last processed + 1), synchronously.
  [[nodiscard]] bool Commit(const std::map<TopicPartition, int64_t>& next_offsets,
                            std::string* error = nullptr);
  void Pause(const TopicPartition& tp);
  void Resume(const TopicPartition& tp);
  // Rewinds a partition so `offset` is the next message delivered.
  [[nodiscard]] bool Seek(const TopicPartition& tp, int64_t offset);
  std::vector<TopicPartition> Assignment();
  // Sum over assigned partitions of (high watermark - position); -1 when unknown.
  int64_t Lag();
  void Close();

 private:
  class Rebalancer;
  std::unique_ptr<Rebalancer> rebalancer_;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer_;
  std::atomic<bool> closed_{false};
};

// Creates the topics if missing, through the Admin API (real Kafka; tests and bootstrap).
// Returns an error text, empty on success.
std::string CreateTopics(const KafkaSettings& settings, const std::vector<std::string>& topics,
                         int partitions, std::chrono::milliseconds timeout);

}  // namespace klinik
