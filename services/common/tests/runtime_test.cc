// ServiceRuntime in this process: the lifetime of the components it owns. The runtime blocks
// SIGTERM/SIGINT in the threads it starts from, and Run waits for them, so a test stops it
// with a SIGTERM sent to the thread that runs it.
#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "klinik/service.h"
#include "test_infra.h"

namespace klinik {
namespace {

using namespace std::chrono_literals;

// A component that notes its destruction in `destroyed`, marked when a task was inside it then.
class Probe {
 public:
  Probe(std::string name, std::vector<std::string>& destroyed)
      : name_(std::move(name)), destroyed_(destroyed) {}
  ~Probe() { destroyed_.push_back(busy_ ? name_ + " (destroyed while in use)" : name_); }
  Probe(const Probe&) = delete;
  Probe& operator=(const Probe&) = delete;

  // Long enough that a stop almost always arrives while a task is inside.
  void Work() {
    busy_ = true;
    std::this_thread::sleep_for(20ms);
    ++runs_;
    busy_ = false;
  }
  [[nodiscard]] int runs() const { return runs_; }

 private:
  std::string name_;
  std::vector<std::string>& destroyed_;
  std::atomic<bool> busy_{false};
  std::atomic<int> runs_{0};
};

Config RuntimeConfig() {
  return Config({{"KLINIK_DATABASE_URL", testing::FreshSqliteDatabase()},
                 {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", testing::KafkaBootstrap()},
                 {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
                 {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"}});
}

TEST(ServiceRuntime, ComponentsAreDestroyedInReverseOrderOfCreation) {
  std::vector<std::string> destroyed;
  Config config = RuntimeConfig();
  {
    ServiceRuntime rt("runtime-test", config);
    rt.Add<Probe>("first", destroyed);
    rt.Add<Probe>("second", destroyed);
    rt.Add<Probe>("third", destroyed);
    EXPECT_TRUE(destroyed.empty());
  }
  EXPECT_EQ(destroyed, (std::vector<std::string>{"third", "second", "first"}));
}

TEST(ServiceRuntime, ComponentsOutliveThePeriodicTasksThatUseThem) {
  std::vector<std::string> destroyed;
  Config config = RuntimeConfig();
  {
    ServiceRuntime rt("runtime-test", config);
    auto& first = rt.Add<Probe>("first", destroyed);
    auto& second = rt.Add<Probe>("second", destroyed);
    for (Probe* probe : {&first, &second}) {
      rt.AddPeriodic("probe", 1ms, [probe] {
        probe->Work();
        return false;
      });
    }
    std::thread run([&rt] { EXPECT_EQ(rt.Run(), 0); });
    EXPECT_TRUE(testing::WaitUntil([&] { return first.runs() >= 3 && second.runs() >= 3; }, 60s));
    pthread_kill(run.native_handle(), SIGTERM);
    run.join();
    EXPECT_TRUE(rt.stopping());
  }
  EXPECT_EQ(destroyed, (std::vector<std::string>{"second", "first"}));
}

}  // namespace
}  // namespace klinik
