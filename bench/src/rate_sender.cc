#include "rate_sender.h"

#include <thread>

#include <nlohmann/json.hpp>

namespace loadgen {

using Steady = std::chrono::steady_clock;

std::string SendSummary::ToJson() const {
  nlohmann::json j = {{"sent", sent},
                      {"delivered", delivered},
                      {"failed", failed},
                      {"seconds", seconds},
                      {"events_per_second", events_per_second()}};
  return j.dump();
}

RateSender::RateSender(const klinik::KafkaSettings& settings, double rate)
    : producer_(std::make_unique<klinik::Producer>(settings)), rate_(rate) {}

void RateSender::Send(const klinik::OutgoingMessage& message) {
  if (sent_ == 0) started_ = Steady::now();
  if (rate_ > 0) {
    // The n-th message is due n/rate seconds after the first: a late start is caught up with a
    // burst instead of lowering the average rate.
    auto due = started_ + std::chrono::duration_cast<Steady::duration>(
                              std::chrono::duration<double>(static_cast<double>(sent_) / rate_));
    while (Steady::now() < due) {
      producer_->Poll(std::chrono::milliseconds(0));
      std::this_thread::sleep_until(std::min(due, Steady::now() + std::chrono::milliseconds(5)));
    }
  }
  auto delivered = delivered_count_;
  auto failed = failed_count_;
  std::string error;
  if (!producer_->Send(
          message,
          [delivered, failed](const klinik::DeliveryResult& r) { r.ok ? ++*delivered : ++*failed; },
          &error)) {
    ++failed_local_;
  }
  ++sent_;
  if (sent_ % 64 == 0) producer_->Poll(std::chrono::milliseconds(0));
}

SendSummary RateSender::Finish(std::chrono::milliseconds timeout) {
  SendSummary s;
  s.sent = sent_;
  if (sent_ > 0) {
    auto deadline = Steady::now() + timeout;
    while (*delivered_count_ + *failed_count_ + failed_local_ < sent_ && Steady::now() < deadline)
      producer_->Poll(std::chrono::milliseconds(20));
    s.seconds = std::chrono::duration<double>(Steady::now() - started_).count();
  }
  s.delivered = *delivered_count_;
  s.failed = sent_ - s.delivered;
  delivered_ = s.delivered;
  return s;
}

}  // namespace loadgen
