// ServiceRuntime wires the platform for one service: configuration, logs, database and
// migrations, Kafka, the outbox relay, consume loops, periodic tasks, gRPC, /metrics, /healthz,
// /readyz, and graceful shutdown on SIGTERM/SIGINT. A service's main.cpp only declares its parts:
//
//   int main(int argc, char** argv) {
//     return klinik::RunService(argc, argv, "registration", [](klinik::ServiceRuntime& rt) {
//       rt.Migrate("registration", registration::Migrations());
//       auto handler = std::make_shared<registration::IntakeHandler>(...);
//       rt.AddConsumer({std::string(klinik::topics::kIntakeRegistration)}, handler);
//       rt.AddGrpcService(std::make_shared<registration::Directory>(rt.db()));
//     });
//   }
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
  ~ServiceRuntime();

  [[nodiscard]] const std::string& service() const { return service_; }
  [[nodiscard]] const Config& config() const { return config_; }
  [[nodiscard]] Database& db() { return *db_; }
  [[nodiscard]] Metrics& metrics() { return metrics_; }
  [[nodiscard]] const KafkaSettings& kafka() const { return kafka_; }
  // ce_source of the facts this service publishes.
  [[nodiscard]] std::string source() const { return "/klinik/" + service_; }

  void Migrate(std::string_view component, const std::vector<Migration>& migrations);
  // One consume loop over `topics`; group id KLINIK_CONSUMER_GROUP (+ suffix when given).
  void AddConsumer(std::vector<std::string> topics, std::shared_ptr<EventHandler> handler,
                   std::string group_suffix = {});
  void AddGrpcService(std::shared_ptr<grpc::Service> service);
  // Runs fn every `interval` on its own thread (timers: SLA checks, expiry scans, sync jobs).
  // fn returns true when it did work (the outbox relay is then woken). With `wake_on_commit`
  // it also runs as soon as a consume loop commits (work the consumed events just created).
  void AddPeriodic(std::string name, std::chrono::milliseconds interval, std::function<bool()> fn,
                   bool wake_on_commit = false);
  // Called once the service is listening (ports known) and before it reports ready.
  void OnStarted(std::function<void()> fn) { on_started_.push_back(std::move(fn)); }
  // Called first when the service stops (before consumers stop), e.g. to stop worker threads.
  void OnStopping(std::function<void()> fn) { on_stopping_.push_back(std::move(fn)); }

  // Starts everything, blocks until SIGTERM/SIGINT or RequestStop(), then stops gracefully.
  // Returns the process exit code.
  int Run();
  void RequestStop();

  [[nodiscard]] int grpc_port() const { return grpc_ ? grpc_->port() : 0; }
  [[nodiscard]] int http_port() const { return http_ ? http_->port() : 0; }
  [[nodiscard]] bool Ready() const;
  void WakeOutbox() {
    if (relay_) relay_->Wake();
  }
  // Work for the wake_on_commit tasks was committed outside a consume loop (e.g. one task made
  // jobs due for the others): wake them now instead of at their next interval.
  void WakeTasks();

 private:
  struct Periodic {
    std::string name;
    std::chrono::milliseconds interval;
    std::function<bool()> fn;
    bool wake_on_commit = false;
  };
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
  std::vector<std::shared_ptr<EventHandler>> handlers_;
  std::vector<std::unique_ptr<EventProcessor>> processors_;
  std::vector<std::shared_ptr<grpc::Service>> grpc_services_;
  std::vector<Periodic> periodic_;
  std::mutex periodic_mutex_;
  std::condition_variable periodic_cv_;
  bool periodic_stop_ = false;      // guarded by periodic_mutex_
  uint64_t commit_generation_ = 0;  // guarded by periodic_mutex_
  std::vector<std::function<void()>> on_started_;
  std::vector<std::function<void()>> on_stopping_;
  std::unique_ptr<GrpcServer> grpc_;
  std::unique_ptr<HttpEndpoint> http_;
  std::vector<std::thread> threads_;
  std::atomic<bool> started_{false};
  std::atomic<bool> stopping_{false};
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
