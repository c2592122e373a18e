#include "klinik/metrics.h"

#include <civetweb.h>
#include <prometheus/text_serializer.h>

#include <cstring>
#include <mutex>

#include "klinik/config.h"

namespace klinik {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

prometheus::Histogram::BucketBoundaries Metrics::LatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

Metrics::Metrics(std::string service)
    : service_(std::move(service)),
      registry_(std::make_shared<prometheus::Registry>()),
      consumed_(BuildCounter()
                    .Name("klinik_events_consumed_total")
                    .Help("Events consumed, by topic and outcome")
                    .Register(*registry_)),
      produced_(BuildCounter()
                    .Name("klinik_events_produced_total")
                    .Help("Events published from the outbox, by topic and outcome")
                    .Register(*registry_)),
      processing_(BuildHistogram()
                      .Name("klinik_event_processing_seconds")
                      .Help("Time to process one consumed event, in seconds")
                      .Register(*registry_)),
      dead_letters_(BuildCounter()
                        .Name("klinik_dead_letters_total")
                        .Help("Messages sent to klinik.deadletter.v1, by origin topic")
                        .Register(*registry_)),
      outbox_backlog_(BuildGauge()
                          .Name("klinik_outbox_backlog")
                          .Help("Outbox rows not yet published")
                          .Register(*registry_)
                          .Add({})),
      outbox_parked_(BuildGauge()
                         .Name("klinik_outbox_parked")
                         .Help("Outbox rows the producer refused for good, kept for an operator")
                         .Register(*registry_)
                         .Add({})),
      outbox_parked_total_(BuildCounter()
                               .Name("klinik_outbox_parked_total")
                               .Help("Outbox rows parked because the producer refused them for "
                                     "good, by topic")
                               .Register(*registry_)),
      lag_(BuildGauge()
               .Name("klinik_consumer_lag")
               .Help("Messages behind the high watermark, by consumer group")
               .Register(*registry_)),
      grpc_requests_(BuildCounter()
                         .Name("klinik_grpc_requests_total")
                         .Help("gRPC requests served, by method and status code")
                         .Register(*registry_)),
      grpc_latency_(BuildHistogram()
                        .Name("klinik_grpc_request_seconds")
                        .Help("gRPC request latency in seconds, by method")
                        .Register(*registry_)),
      ready_(BuildGauge()
                 .Name("klinik_ready")
                 .Help("1 when the service is ready to take traffic")
                 .Register(*registry_)
                 .Add({})) {
  BuildGauge()
      .Name("klinik_build_info")
      .Help("Build information")
      .Register(*registry_)
      .Add({{"service", service_}, {"version", "0.1.0"}})
      .Set(1);
}

void Metrics::EventConsumed(const std::string& topic, const std::string& outcome, double seconds) {
  consumed_.Add({{"topic", topic}, {"outcome", outcome}}).Increment();
  processing_.Add({{"topic", topic}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::EventProduced(const std::string& topic, bool ok) {
  produced_.Add({{"topic", topic}, {"outcome", ok ? "ok" : "error"}}).Increment();
}

void Metrics::SetOutboxParked(int64_t rows) { outbox_parked_.Set(static_cast<double>(rows)); }

void Metrics::OutboxParked(const std::string& topic) {
  outbox_parked_total_.Add({{"topic", topic}}).Increment();
}

void Metrics::DeadLetter(const std::string& origin_topic) {
  dead_letters_.Add({{"topic", origin_topic}}).Increment();
}
void Metrics::SetOutboxBacklog(int64_t rows) { outbox_backlog_.Set(static_cast<double>(rows)); }
void Metrics::SetConsumerLag(const std::string& group, int64_t lag) {
  lag_.Add({{"group", group}}).Set(static_cast<double>(lag));
}

void Metrics::GrpcRequest(const std::string& method, const std::string& code, double seconds) {
  grpc_requests_.Add({{"method", method}, {"code", code}}).Increment();
  grpc_latency_.Add({{"method", method}}, LatencyBuckets()).Observe(seconds);
}

void Metrics::SetReady(bool ready) { ready_.Set(ready ? 1 : 0); }

prometheus::Family<prometheus::Counter>& Metrics::AddCounter(const std::string& name,
                                                             const std::string& help) {
  return BuildCounter().Name(name).Help(help).Register(*registry_);
}
prometheus::Family<prometheus::Gauge>& Metrics::AddGauge(const std::string& name,
                                                         const std::string& help) {
  return BuildGauge().Name(name).Help(help).Register(*registry_);
}
prometheus::Family<prometheus::Histogram>& Metrics::AddHistogram(const std::string& name,
                                                                 const std::string& help) {
  return BuildHistogram().Name(name).Help(help).Register(*registry_);
}

std::string Metrics::Render() const {
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

// ---------------------------------------------------------------------------------------------

namespace {
std::once_flag g_civetweb_init;

void Reply(mg_connection* conn, int status, const char* reason, const char* type,
           const std::string& body) {
  mg_printf(
      conn,
      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n",
      status, reason, type, body.size());
  mg_write(conn, body.data(), body.size());
}
}  // namespace

HttpEndpoint::HttpEndpoint(const std::string& address, Metrics& metrics,
                           std::function<bool()> ready)
    : metrics_(metrics), ready_(std::move(ready)) {
  std::call_once(g_civetweb_init, [] { mg_init_library(0); });
  const char* options[] = {"listening_ports", address.c_str(), "num_threads", "4", nullptr};
  mg_callbacks callbacks{};
  context_ = mg_start(&callbacks, nullptr, options);
  if (context_ == nullptr) {
    throw ConfigError("KLINIK_HTTP_ADDRESS: cannot listen on '" + address +
                      "' (in use or malformed)");
  }
  for (const char* uri : {"/metrics", "/healthz", "/readyz"}) {
    mg_set_request_handler(context_, uri, &HttpEndpoint::Handle, this);
  }
  mg_server_port ports[4];
  int n = mg_get_server_ports(context_, 4, ports);
  if (n > 0) port_ = ports[0].port;
}

HttpEndpoint::~HttpEndpoint() {
  if (context_) mg_stop(context_);
}

int HttpEndpoint::Handle(mg_connection* conn, void* data) {
  auto* self = static_cast<HttpEndpoint*>(data);
  const mg_request_info* info = mg_get_request_info(conn);
  std::string uri = info->local_uri ? info->local_uri : "";
  if (uri == "/metrics") {
    Reply(conn, 200, "OK", "text/plain; version=0.0.4; charset=utf-8", self->metrics_.Render());
  } else if (uri == "/healthz") {
    Reply(conn, 200, "OK", "text/plain", "ok\n");
  } else if (self->ready_()) {
    Reply(conn, 200, "OK", "text/plain", "ready\n");
  } else {
    Reply(conn, 503, "Service Unavailable", "text/plain", "not ready\n");
  }
  return 1;
}

}  // namespace klinik
