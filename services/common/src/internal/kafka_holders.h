// Owners for the librdkafka objects the platform library creates, so that no code path (early
// return, exception) leaks one and nothing outside this file calls a destroy function by hand.
//
// Where librdkafka takes an object over (rd_kafka_new takes its conf once it returns a handle,
// produce() takes the headers of an accepted message), the caller keeps it in a holder until
// the call has succeeded and then calls .release() with a comment naming the new owner:
//
//   ConfHolder conf(rd_kafka_conf_new());
//   KafkaHandle rk(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), err, sizeof err));
//   if (!rk) return err;  // the conf is still ours: its holder frees it
//   conf.release();       // rd_kafka_new owns the conf of the handle it returned
//
// Objects made from a handle (queues, admin options, events) must be destroyed before the
// handle: declare their holders after the KafkaHandle they come from.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafkacpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace klinik {

// Calls librdkafka's `Destroy` on the object; std::unique_ptr never calls it with null.
template <typename T, void (*Destroy)(T*)>
struct KafkaDeleter {
  void operator()(T* object) const noexcept { Destroy(object); }
};

template <typename T, void (*Destroy)(T*)>
using KafkaHolder = std::unique_ptr<T, KafkaDeleter<T, Destroy>>;

// C API objects (the admin client behind CreateTopics).
using ConfHolder = KafkaHolder<rd_kafka_conf_t, &rd_kafka_conf_destroy>;
using KafkaHandle = KafkaHolder<rd_kafka_t, &rd_kafka_destroy>;
using QueueHolder = KafkaHolder<rd_kafka_queue_t, &rd_kafka_queue_destroy>;
using EventHolder = KafkaHolder<rd_kafka_event_t, &rd_kafka_event_destroy>;
using AdminOptionsHolder = KafkaHolder<rd_kafka_AdminOptions_t, &rd_kafka_AdminOptions_destroy>;
using NewTopicHolder = KafkaHolder<rd_kafka_NewTopic_t, &rd_kafka_NewTopic_destroy>;

// The C++ API's topic-partition list (commitSync, pause, assignment, position, committed take a
// std::vector<RdKafka::TopicPartition*>), owning every element: the ones added here and the ones
// librdkafka puts into get() when it fills an empty list (assignment()).
class TopicPartitionListHolder final {
 public:
  TopicPartitionListHolder() = default;
  ~TopicPartitionListHolder() { RdKafka::TopicPartition::destroy(list_); }
  TopicPartitionListHolder(const TopicPartitionListHolder&) = delete;
  TopicPartitionListHolder& operator=(const TopicPartitionListHolder&) = delete;

  // Without an offset the element's offset is RdKafka::Topic::OFFSET_INVALID.
  void Add(const std::string& topic, int32_t partition) {
    Adopt(std::unique_ptr<RdKafka::TopicPartition>(
        RdKafka::TopicPartition::create(topic, partition)));
  }
  void Add(const std::string& topic, int32_t partition, int64_t offset) {
    Adopt(std::unique_ptr<RdKafka::TopicPartition>(
        RdKafka::TopicPartition::create(topic, partition, offset)));
  }

  [[nodiscard]] std::vector<RdKafka::TopicPartition*>& get() { return list_; }

 private:
  void Adopt(std::unique_ptr<RdKafka::TopicPartition> element) {
    list_.push_back(element.get());
    element.release();  // in list_ now, which the destructor frees; push_back threw otherwise
  }

  std::vector<RdKafka::TopicPartition*> list_;
};

}  // namespace klinik
