// Sends a stream of messages through klinik::Producer (idempotent, acks=all: what every app and
// service uses) at a fixed rate or as fast as the broker takes them, and counts what the broker
// confirmed.
//
//   loadgen::RateSender sender(settings, /*rate=*/1000);
//   while (more) sender.Send(NextMessage());
//   loadgen::SendSummary s = sender.Finish();  // waits for every delivery report
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "klinik/kafka.h"

namespace loadgen {

struct SendSummary {
  int64_t sent = 0;       // handed to the producer
  int64_t delivered = 0;  // confirmed by the broker
  int64_t failed = 0;     // refused locally or by the broker
  double seconds = 0;     // from the first Send to the last delivery report
  [[nodiscard]] double events_per_second() const { return seconds > 0 ? delivered / seconds : 0; }
  [[nodiscard]] std::string ToJson() const;
};

class RateSender {
 public:
  // `rate` messages per second; 0 = unthrottled.
  RateSender(const klinik::KafkaSettings& settings, double rate);

  // Blocks as long as the rate requires, then queues the message.
  void Send(const klinik::OutgoingMessage& message);
  // Waits up to `timeout` for the outstanding delivery reports.
  SendSummary Finish(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  [[nodiscard]] int64_t sent() const { return sent_; }
  [[nodiscard]] int64_t delivered() const { return delivered_; }

 private:
  std::unique_ptr<klinik::Producer> producer_;
  double rate_;
  std::chrono::steady_clock::time_point started_;
  int64_t sent_ = 0;
  int64_t failed_local_ = 0;
  std::shared_ptr<std::atomic<int64_t>> delivered_count_ =
      std::make_shared<std::atomic<int64_t>>(0);
  std::shared_ptr<std::atomic<int64_t>> failed_count_ = std::make_shared<std::atomic<int64_t>>(0);
  int64_t delivered_ = 0;
};

}  // namespace loadgen
