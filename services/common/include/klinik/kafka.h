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

struct DeliveryResult {
  bool ok = false;
  std::string error;  // librdkafka's text when !ok
  int32_t partition = -1;
  int64_t offset = -1;
};

class Producer {
 public:
  explicit Producer(const KafkaSettings& settings);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues a message; `on_delivery` runs once, from Poll() or Flush(), with the broker's answer.
  // Returns false (and does not call on_delivery) when the local queue refused the message.
  [[nodiscard]] bool Send(const OutgoingMessage& message,
                          std::function<void(const DeliveryResult&)> on_delivery,
                          std::string* error = nullptr);
  void Poll(std::chrono::milliseconds timeout);
  // Waits until every queued message has a delivery report; false on timeout.
  bool Flush(std::chrono::milliseconds timeout);
  // Sends and waits for the delivery report (tests, tools).
  DeliveryResult SendSync(const OutgoingMessage& message, std::chrono::milliseconds timeout);

 private:
  class DeliveryReporter;
  std::unique_ptr<DeliveryReporter> reporter_;
  std::unique_ptr<RdKafka::Producer> producer_;
};

struct ConsumedMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  bool has_key = false;
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
