#include "klinik/service.h"

#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <future>
#include <iostream>

#include "klinik/log.h"
#include "klinik/time_util.h"

namespace klinik {
namespace {

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

void BlockStopSignals() {
  sigset_t set = StopSignals();
  // Every thread created after this inherits the mask; Run() waits for the signals itself.
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

}  // namespace

ServiceRuntime::ServiceRuntime(std::string service, const Config& config)
    : service_(std::move(service)), config_(config), metrics_(service_) {
  BlockStopSignals();
  log::SetService(service_);
  try {
    log::SetLevel(log::ParseLevel(config_.String("KLINIK_LOG_LEVEL", "info")));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string("KLINIK_LOG_LEVEL: ") + e.what());
  }
  grpc_address_ = config_.String("KLINIK_GRPC_ADDRESS", "0.0.0.0:50051");
  http_address_ = config_.String("KLINIK_HTTP_ADDRESS", "0.0.0.0:9464");
  ports_file_ = config_.String("KLINIK_PORTS_FILE", "");
  shutdown_timeout_ = config_.Duration("KLINIK_SHUTDOWN_TIMEOUT", std::chrono::seconds(20));
  processor_defaults_.service = service_;
  processor_defaults_.group_id = config_.String("KLINIK_CONSUMER_GROUP", "klinik-" + service_);
  processor_defaults_.batch_size =
      static_cast<size_t>(config_.Int("KLINIK_BATCH_SIZE", 500, 1, 100000));
  processor_defaults_.poll_timeout =
      config_.Duration("KLINIK_POLL_TIMEOUT", std::chrono::milliseconds(100));
  processor_defaults_.retry_initial =
      config_.PositiveDuration("KLINIK_RETRY_INITIAL", std::chrono::milliseconds(200));
  processor_defaults_.retry_max = config_.Duration("KLINIK_RETRY_MAX", std::chrono::seconds(30));
  processor_defaults_.batch_transactions = config_.Bool("KLINIK_BATCH_TRANSACTIONS", true);
  processor_defaults_.crash_after_commits =
      config_.Int("KLINIK_TEST_CRASH_AFTER_COMMITS", 0, 0, INT64_MAX);
  kafka_ = KafkaSettings::FromConfig(config_, service_);
  db_ = Database::FromConfig(config_, "sqlite://" + service_ + ".db");
  db_->Migrate("klinik_platform", PlatformMigrations());
  producer_ = std::make_unique<Producer>(kafka_);
  OutboxRelayOptions relay;
  relay.service = service_;
  relay.batch_size = static_cast<size_t>(config_.Int("KLINIK_OUTBOX_BATCH_SIZE", 500, 1, 100000));
  relay.unhealthy_after =
      config_.Duration("KLINIK_OUTBOX_UNHEALTHY_AFTER", std::chrono::milliseconds(30000));
  relay.crash_after_delivery = config_.Bool("KLINIK_TEST_CRASH_AFTER_DELIVERY", false);
  relay_ = std::make_unique<OutboxRelay>(*db_, *producer_, &metrics_, relay);
}

ServiceRuntime::~ServiceRuntime() {
  // Run did not get to stop (it threw half way, or was never called): nothing that uses a
  // component may still run when the components go.
  stopping_ = true;
  JoinWorkers();
  if (grpc_) grpc_->Shutdown(std::chrono::milliseconds(0));
  http_.reset();
  relay_->Stop(std::chrono::milliseconds(0));
  processors_.clear();
  while (!components_.empty()) components_.pop_back();
}

void ServiceRuntime::Migrate(std::string_view component, const std::vector<Migration>& migrations) {
  db_->Migrate(component, migrations);
}

void ServiceRuntime::AddConsumer(std::vector<std::string> topics, EventHandler& handler,
                                 std::string group_suffix) {
  ProcessorOptions options = processor_defaults_;
  options.topics = std::move(topics);
  options.group_id += group_suffix;
  processors_.push_back(std::make_unique<EventProcessor>(options, kafka_, *db_, handler, &metrics_,
                                                         [this] { Committed(); }));
}

void ServiceRuntime::AddGrpcService(grpc::Service& service) { grpc_services_.push_back(&service); }

void ServiceRuntime::AddPeriodic(std::string name, std::chrono::milliseconds interval,
                                 std::function<bool()> fn, bool wake_on_commit) {
  periodic_.push_back({std::move(name), interval, std::move(fn), wake_on_commit});
}

void ServiceRuntime::Committed() {
  relay_->Wake();
  WakeTasks();
}

void ServiceRuntime::WakeTasks() {
  {
    std::lock_guard lock(periodic_mutex_);
    ++commit_generation_;
  }
  periodic_cv_.notify_all();
}

bool ServiceRuntime::Ready() const {
  if (!started_ || stopping_) return false;
  if (!relay_->Healthy()) return false;
  for (const auto& p : processors_) {
    if (!p->Healthy()) return false;
  }
  return true;
}

void ServiceRuntime::WritePortsFile() {
  if (ports_file_.empty()) return;
  std::string tmp = ports_file_ + ".tmp";
  {
    std::ofstream out(tmp);
    out << "{\"grpc\": " << grpc_port() << ", \"http\": " << http_port() << "}\n";
  }
  std::rename(tmp.c_str(), ports_file_.c_str());
}

int ServiceRuntime::Run() {
  Start();
  WaitForStopSignal();
  Stop();
  return 0;
}

void ServiceRuntime::Start() {
  http_ = std::make_unique<HttpEndpoint>(http_address_, metrics_, [this] { return Ready(); });
  grpc_ = std::make_unique<GrpcServer>(grpc_address_, &metrics_);
  for (grpc::Service* s : grpc_services_) grpc_->AddService(s);
  grpc_->Start();
  relay_->Start();
  StartWorkers();
  started_ = true;
  WritePortsFile();
  log::Info("service started", {{"grpc_port", grpc_port()},
                                {"http_port", http_port()},
                                {"database", db_->url_for_logs()},
                                {"group", processor_defaults_.group_id}});
}

void ServiceRuntime::StartWorkers() {
  for (auto& p : processors_) threads_.emplace_back([&p] { p->Run(); });
  for (const Periodic& task : periodic_)
    threads_.emplace_back([this, &task] { RunPeriodic(task); });
}

void ServiceRuntime::RunPeriodic(const Periodic& task) {
  std::unique_lock lock(periodic_mutex_);
  while (!periodic_stop_) {
    // A commit after this point wakes the task again (wake_on_commit).
    uint64_t seen = commit_generation_;
    lock.unlock();
    try {
      if (task.fn()) relay_->Wake();
    } catch (const StorageError& e) {
      log::Warn("periodic task failed; will retry", {{"task", task.name}, {"error", e.what()}});
    } catch (const std::exception& e) {
      log::Error("periodic task failed", {{"task", task.name}, {"error", e.what()}});
    }
    lock.lock();
    periodic_cv_.wait_for(lock, task.interval, [&] {
      return periodic_stop_ || (task.wake_on_commit && commit_generation_ != seen);
    });
  }
}

void ServiceRuntime::WaitForStopSignal() {
  sigset_t set = StopSignals();
  bool last_ready = false;
  for (;;) {
    bool ready = Ready();
    if (ready != last_ready) {
      grpc_->SetServing(ready);
      metrics_.SetReady(ready);
      last_ready = ready;
    }
    timespec wait{0, 200'000'000};
    int sig = sigtimedwait(&set, nullptr, &wait);
    if (sig == SIGTERM || sig == SIGINT) return;
  }
}

void ServiceRuntime::Stop() {
  auto began = std::chrono::steady_clock::now();
  stopping_ = true;
  metrics_.SetReady(false);
  grpc_->SetServing(false);
  log::Info("stopping", {{"bound_ms", shutdown_timeout_.count()}});
  std::promise<void> stopped;
  std::thread watchdog([this, done = stopped.get_future()] {
    if (done.wait_for(shutdown_timeout_) == std::future_status::ready) return;
    log::Error("graceful stop exceeded its bound; exiting",
               {{"bound_ms", shutdown_timeout_.count()}});
    std::_Exit(1);
  });
  JoinWorkers();
  auto elapsed = std::chrono::steady_clock::now() - began;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(shutdown_timeout_ - elapsed);
  relay_->Stop(std::max(left - std::chrono::milliseconds(1000), std::chrono::milliseconds(0)));
  grpc_->Shutdown(std::chrono::milliseconds(1000));
  http_.reset();
  stopped.set_value();
  watchdog.join();
  log::Info("stopped", {{"elapsed_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::steady_clock::now() - began)
                                           .count()}});
}

void ServiceRuntime::JoinWorkers() {
  for (auto& p : processors_) p->Stop();
  {
    std::lock_guard lock(periodic_mutex_);
    periodic_stop_ = true;
  }
  periodic_cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
  processors_.clear();  // closes consumers (leave the group promptly)
}

int RunService(int argc, char** argv, const std::string& service,
               const std::function<void(ServiceRuntime&)>& setup) {
  try {
    Config config = Config::FromProcess(argc, argv);
    log::SetService(service);
    ServiceRuntime runtime(service, config);
    setup(runtime);
    if (config.HelpRequested()) {
      std::cout << service << " — configuration read (KLINIK_* variable or --flag):\n"
                << config.Describe();
      return 0;
    }
    config.RejectUnknownFlags();
    return runtime.Run();
  } catch (const ConfigError& e) {
    std::cerr << service << ": " << e.what() << std::endl;
    return 2;
  } catch (const StorageError& e) {
    std::cerr << service << ": database: " << e.what() << std::endl;
    return 1;
  } catch (const KafkaError& e) {
    std::cerr << service << ": kafka: " << e.what() << std::endl;
    return 1;
  }
}

}  // namespace klinik
