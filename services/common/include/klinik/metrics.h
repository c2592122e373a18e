// The standard metric set every service exposes, and the HTTP endpoint that serves it with
// /healthz and /readyz. Labels never carry personal data or unbounded ids (no patient, clinic
// or item ids: there are 80,000 clinics).
//
//   klinik_events_consumed_total{topic,outcome}   applied, rejected, duplicate, dead_letter
//                                                 once committed; retry per failed attempt
//   klinik_events_produced_total{topic,outcome}   ok, error
//   klinik_event_processing_seconds{topic}        histogram
//   klinik_dead_letters_total{topic}              messages sent to klinik.deadletter.v1, by origin
//   klinik_outbox_backlog                         unsent outbox rows
//   klinik_outbox_parked                          rows the producer refused for good, waiting
//                                                 for an operator
//   klinik_outbox_parked_total{topic}             rows parked, by topic
//   klinik_consumer_lag{group}                    messages behind the high watermark
//   klinik_grpc_requests_total{method,code}
//   klinik_grpc_request_seconds{method}           histogram
//   klinik_ready                                  1 when /readyz answers 200
//   klinik_build_info{service,version}
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

struct mg_context;
struct mg_connection;

namespace klinik {

class Metrics {
 public:
  explicit Metrics(std::string service);

  [[nodiscard]] prometheus::Registry& registry() { return *registry_; }
  [[nodiscard]] const std::string& service() const { return service_; }

  void EventConsumed(const std::string& topic, const std::string& outcome, double seconds);
  void EventProduced(const std::string& topic, bool ok);
  void DeadLetter(const std::string& origin_topic);
  void SetOutboxBacklog(int64_t rows);
  void SetOutboxParked(int64_t rows);
  void OutboxParked(const std::string& topic);
  void SetConsumerLag(const std::string& group, int64_t lag);
  void GrpcRequest(const std::string& method, const std::string& code, double seconds);
  void SetReady(bool ready);

  // Counters of a service's own (e.g. klinik_registrations_total{outcome,reason}).
  prometheus::Family<prometheus::Counter>& AddCounter(const std::string& name,
                                                      const std::string& help);
  prometheus::Family<prometheus::Gauge>& AddGauge(const std::string& name, const std::string& help);
  prometheus::Family<prometheus::Histogram>& AddHistogram(const std::string& name,
                                                          const std::string& help);

  // Prometheus text exposition of everything registered.
  [[nodiscard]] std::string Render() const;

  // Seconds buckets from 1 ms to 60 s.
  static prometheus::Histogram::BucketBoundaries LatencyBuckets();

 private:
  std::string service_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& produced_;
  prometheus::Family<prometheus::Histogram>& processing_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Gauge& outbox_backlog_;
  prometheus::Gauge& outbox_parked_;
  prometheus::Family<prometheus::Counter>& outbox_parked_total_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Counter>& grpc_requests_;
  prometheus::Family<prometheus::Histogram>& grpc_latency_;
  prometheus::Gauge& ready_;
};

// Serves GET /metrics, /healthz (the process is alive) and /readyz (ready to take traffic:
// 200 or 503) on one port, with civetweb (the server prometheus-cpp itself embeds).
class HttpEndpoint {
 public:
  // `address` is host:port; port 0 picks a free one (see port()).
  HttpEndpoint(const std::string& address, Metrics& metrics, std::function<bool()> ready);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  [[nodiscard]] int port() const { return port_; }

 private:
  static int Handle(::mg_connection* conn, void* self);

  Metrics& metrics_;
  std::function<bool()> ready_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace klinik
