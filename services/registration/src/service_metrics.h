// The registration service's own metrics. klinik_registrations_total{outcome,reason}: outcome is registered, matched, updated or
// rejected; reason is a rejection code, or "none". A rejection with several distinct codes counts
// once per code, so rejections by reason add up per code (the number of rejected requests is
// klinik_events_consumed_total{outcome="rejected"}). No ids in labels.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>

#include <string_view>

namespace klinik {
class Metrics;
}

namespace registration {

class ServiceMetrics {
 public:
  explicit ServiceMetrics(klinik::Metrics& metrics);
  void Count(std::string_view outcome, std::string_view reason);

 private:
  prometheus::Family<prometheus::Counter>& family_;
};

}  // namespace registration
