// ServiceRuntime wires the platform for one service: configuration, logs, database and
// migrations, Kafka, the outbox relay, consume loops, periodic tasks, gRPC, /metrics, /healthz,
// /readyz, and graceful shutdown on SIGTERM/SIGINT. A service's main.cpp is a list: settings,
// migrations, components, consumers, gRPC services, periodic tasks.
//
//   int main(int argc, char** argv) {
//     return klinik::RunService(argc, argv, "pharmacy", [](klinik::ServiceRuntime& rt) {
//       using namespace pharmacy;
//       const auto& settings = rt.Add<Settings>(Settings::FromConfig(rt.config()));
//       rt.Migrate("pharmacy", store::Migrations());
//
//       auto& metrics = rt.Add<ServiceMetrics>(rt.metrics());
//       auto& intake = rt.Add<IntakeHandler>(settings, metrics);
//       auto& stock = rt.Add<GrpcService>(rt.db(), settings);
//       auto& expiry = rt.Add<ExpiryCheck>(rt.db(), settings, metrics, rt.source());
//
//       rt.AddConsumer({settings.intake_topic}, intake);
//       rt.AddGrpcService(stock);
//       rt.AddPeriodic("expiry-check", settings.expiry_check_interval,
//                      [&expiry] { return expiry.RunOnce(); });
//     });
//   }
//
// Lifetimes: the runtime owns every component made by Add and destroys them in reverse order of
// creation, after every thread that could reach one (consume loops, periodic tasks, the gRPC
// server, the HTTP endpoint, the outbox relay) has stopped and joined — also when Run fails half
// way or is never called. So a component may hold references to the runtime (db(), metrics())
// and to components added before it; consumers, gRPC services and periodic tasks refer to
// components without owning them.
//
// Common configuration (each also a --flag):
//   KLINIK_DATABASE_URL        sqlite:///path or postgresql://… (default sqlite://<service>.db)
//   KLINIK_KAFKA_*             librdkafka properties, e.g. KLINIK_KAFKA_BOOTSTRAP_SERVERS
//   KLINIK_CONSUMER_GROUP      consumer group id (default klinik-<service>)
//   KLINIK_GRPC_ADDRESS        gRPC listen address (default 0.0.0.0:50051; port 0 = any free)
//   KLINIK_HTTP_ADDRESS        /metrics /healthz /readyz address (default 0.0.0.0:9464)
//   KLINIK_SHUTDOWN_TIMEOUT    bound for a graceful stop (default 20s)
//   KLINIK_BATCH_SIZE          messages per consumed batch (default 500)
//   KLINIK_POLL_TIMEOUT        wait for a batch (default 100ms)
//   KLINIK_RETRY_INITIAL / KLINIK_RETRY_MAX   backoff of a paused partition (200ms / 30s)
//   KLINIK_OUTBOX_BATCH_SIZE   outbox rows published per relay round (default 500)
//   KLINIK_OUTBOX_UNHEALTHY_AFTER  relay rounds failing this long make /readyz 503 (30s)
//   KLINIK_LOG_LEVEL           debug, info, warn, error (default info)
//   KLINIK_PORTS_FILE          where to write {"grpc":…, "http":…} once listening (tests, tools)
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "klinik/config.h"
#include "klinik/grpc.h"
#include "klinik/kafka.h"
#include "klinik/metrics.h"
#include "klinik/outbox.h"
#include "klinik/processor.h"
#include "klinik/storage.h"

namespace klinik {

class ServiceRuntime {
 public:
  ServiceRuntime(std::string service, const Config& config);
  // Stops whatever Run left running, then destroys the components in reverse order of Add.
  ~ServiceRuntime();
  ServiceRuntime(const ServiceRuntime&) = delete;
  ServiceRuntime& operator=(const ServiceRuntime&) = delete;

  [[nodiscard]] const std::string& service() const { return service_; }
  [[nodiscard]] const Config& config() const { return config_; }
  [[nodiscard]] Database& db() { return *db_; }
  [[nodiscard]] Metrics& metrics() { return metrics_; }
  [[nodiscard]] const KafkaSettings& kafka() const { return kafka_; }
  // ce_source of the facts this service publishes.
  [[nodiscard]] std::string source() const { return "/klinik/" + service_; }

  // Setup, before Run: migrations, components, and what runs them.
  void Migrate(std::string_view component, const std::vector<Migration>& migrations);
  // Constructs a T from `args`, owned by the runtime until it is destroyed (see "Lifetimes").
  template <typename T, typename... Args>
  T& Add(Args&&... args) {
    auto owned = std::make_unique<Owned<T>>(std::forward<Args>(args)...);
    T& component = owned->value;
    components_.push_back(std::move(owned));
    return component;
  }
  // One consume loop over `topics`; group id KLINIK_CONSUMER_GROUP (+ suffix when given).
  // `handler` is not owned: it is a component, or outlives the runtime.
  void AddConsumer(std::vector<std::string> topics, EventHandler& handler,
                   std::string group_suffix = {});
  // `service` is not owned: it is a component, or outlives the runtime.
  void AddGrpcService(grpc::Service& service);
  // Runs fn every `interval` on its own thread (timers: SLA checks, expiry scans, sync jobs).
  // fn returns true when it did work (the outbox relay is then woken). With `wake_on_commit`
  // it also runs as soon as a consume loop commits (work the consumed events just created).
  // What fn refers to must be components or outlive the runtime.
  void AddPeriodic(std::string name, std::chrono::milliseconds interval, std::function<bool()> fn,
                   bool wake_on_commit = false);

  // Starts everything, blocks until SIGTERM/SIGINT, then stops gracefully within
  // KLINIK_SHUTDOWN_TIMEOUT. Returns the process exit code.
  int Run();

  [[nodiscard]] int grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  [[nodiscard]] int http_port() const { return http_ ? http_->port() : 0; }
  [[nodiscard]] bool Ready() const;
  // True from the moment a stop begins, before the consume loops stop: a periodic task that
  // works through a long queue checks it to end after the current item.
  [[nodiscard]] const std::atomic<bool>& stopping() const { return stopping_; }
  void WakeOutbox() {
    if (relay_) relay_->Wake();
  }
  // Work for the wake_on_commit tasks was committed outside a consume loop (e.g. one task made
  // jobs due for the others): wake them now instead of at their next interval.
  void WakeTasks();

 private:
  struct Component {
    virtual ~Component() = default;
  };
  template <typename T>
  struct Owned final : Component {
    template <typename... Args>
    explicit Owned(Args&&... args) : value(std::forward<Args>(args)...) {}
    T value;
  };
  struct Periodic {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<bool()> fn;
    bool wake_on_commit = false;
  };

  // Serves gRPC and HTTP, starts the relay, the consume loops and the periodic tasks.
  void Start();
  void StartWorkers();
  void RunPeriodic(const Periodic& task);
  // Keeps grpc.health.v1 and klinik_ready in step with Ready() until SIGTERM or SIGINT.
  void WaitForStopSignal();
  // Graceful stop under a watchdog that ends the process once KLINIK_SHUTDOWN_TIMEOUT passes.
  void Stop();
  // Stops the consume loops and periodic tasks and joins their threads; idempotent.
  void JoinWorkers();
  void WritePortsFile();
  // A consume loop committed: publish its facts, wake the tasks waiting for new work.
  void Committed();

  std::string service_;
  const Config& config_;
  Metrics metrics_;
  KafkaSettings kafka_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Producer> producer_;
  std::unique_ptr<OutboxRelay> relay_;
  // Destroyed explicitly, last to first, once nothing that uses them runs (~ServiceRuntime).
  std::vector<std::unique_ptr<Component>> components_;
  std::vector<std::unique_ptr<EventProcessor>> processors_;
  std::vector<grpc::Service*> grpc_services_;
  std::vector<Periodic> periodic_;
  std::mutex periodic_mutex_;
  std::condition_variable periodic_cv_;
  bool periodic_stop_ = false;      // guarded by periodic_mutex_
  uint64_t commit_generation_ = 0;  // guarded by periodic_mutex_
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<HttpEndpoint> http_;
  std::vector<std::thread> threads_;  // consume loops and periodic tasks
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};  // never reset: a stopping service stays stopping
  std::chrono::milliseconds shutdown_timeout_;
  ProcessorOptions processor_defaults_;
  std::string grpc_address_;
  std::string http_address_;
  std::string ports_file_;
};

// The main() of every service: parses configuration, calls `setup`, runs. A ConfigError prints
// one line "<service>: <VARIABLE>: <problem>" on stderr and returns 2; a start-up failure
// (database or Kafka unreachable) prints one line and returns 1.
int RunService(int argc, char** argv, const std::string& service,
               const std::function<void(ServiceRuntime&)>& setup);

}  // namespace klinik
