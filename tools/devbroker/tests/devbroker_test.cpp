// Proves the devbroker is a usable development Kafka: it creates every klinik topic with its
// partition count, serves an idempotent producer and a consumer group whose committed offsets
// survive a consumer restart, stops with exit 0 on SIGTERM/SIGINT, and rejects bad flags with
// exit 2. Each test starts its own devbroker child (start-up takes milliseconds), so no broker
// state leaks between tests; the child is killed in teardown whatever the test's outcome.

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <klinik/topics.h>
#include <librdkafka/rdkafkacpp.h>

#include "devbroker_options.h"

namespace klinik::devbroker {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

long long MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// ---- The devbroker child process ----

// One devbroker child with its own temporary directory holding the bootstrap file and its
// captured stdout/stderr. The destructor SIGKILLs and reaps a child that is still running, so a
// failed assertion never leaves a broker (or a zombie) behind.
class DevbrokerProcess {
 public:
  explicit DevbrokerProcess(std::vector<std::string> extra_args = {}) {
    std::string pattern = (std::filesystem::temp_directory_path() / "devbroker-test-XXXXXX");
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;

    std::vector<std::string> args = {KLINIK_DEVBROKER_PATH, "--bootstrap-file",
                                     bootstrap_file().string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);

    // Opened before fork(): between fork and exec only async-signal-safe calls are allowed,
    // and librdkafka threads from earlier tests may still exist in this process.
    constexpr int kLogFlags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
    const int out = ::open((dir_ / "stdout").c_str(), kLogFlags, 0644);
    const int err = ::open((dir_ / "stderr").c_str(), kLogFlags, 0644);
    const pid_t parent = ::getpid();
    pid_ = (out >= 0 && err >= 0) ? ::fork() : -1;
    if (pid_ == 0) {
      // Not posix_spawn: only a forked child can ask to die with its parent, which keeps a
      // devbroker from outliving a test binary that ctest kills on timeout.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
      ::dup2(out, STDOUT_FILENO);
      ::dup2(err, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    const int spawn_errno = errno;
    if (out >= 0) ::close(out);
    if (err >= 0) ::close(err);
    if (pid_ < 0) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      throw std::runtime_error(std::string("cannot start the devbroker: ") +
                               std::strerror(spawn_errno));
    }
  }

  DevbrokerProcess(const DevbrokerProcess&) = delete;
  DevbrokerProcess& operator=(const DevbrokerProcess&) = delete;

  ~DevbrokerProcess() {
    if (running()) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  pid_t pid() const { return pid_; }
  std::filesystem::path bootstrap_file() const { return dir_ / "bootstrap"; }
  std::string stdout_text() const { return ReadFile(dir_ / "stdout"); }
  std::string stderr_text() const { return ReadFile(dir_ / "stderr"); }

  // The address from the bootstrap file, or nullopt if the child exits or the time runs out.
  std::optional<std::string> WaitForBootstrap(Clock::duration timeout = 10s) {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (std::filesystem::exists(bootstrap_file())) {
        std::string address = ReadFile(bootstrap_file());
        while (!address.empty() && address.back() == '\n') address.pop_back();
        return address;
      }
      if (!running()) return std::nullopt;
      std::this_thread::sleep_for(10ms);
    }
    return std::nullopt;
  }

  // The child's wait status, or nullopt if it is still running after `timeout`.
  std::optional<int> WaitForExit(Clock::duration timeout) {
    const auto deadline = Clock::now() + timeout;
    do {
      if (!running()) return exit_status_;
      std::this_thread::sleep_for(10ms);
    } while (Clock::now() < deadline);
    return running() ? std::nullopt : exit_status_;
  }

 private:
  bool running() {
    if (exit_status_) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) exit_status_ = status;
    return !exit_status_;
  }

  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
};

// ---- librdkafka clients ----

std::unique_ptr<RdKafka::Conf> MakeConf(const std::map<std::string, std::string>& settings) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  std::string error;
  for (const auto& [key, value] : settings) {
    if (conf->set(key, value, error) != RdKafka::Conf::CONF_OK) {
      throw std::runtime_error("config " + key + ": " + error);
    }
  }
  return conf;
}

// Owns the elements librdkafka puts into `list` (assignment()), so a failed ASSERT that returns
// early frees them too.
struct OwnedPartitionList {
  OwnedPartitionList() = default;
  ~OwnedPartitionList() { RdKafka::TopicPartition::destroy(list); }
  OwnedPartitionList(const OwnedPartitionList&) = delete;
  OwnedPartitionList& operator=(const OwnedPartitionList&) = delete;
  std::vector<RdKafka::TopicPartition*> list;
};

// Counts delivery reports; they are served on the thread calling flush(), so no locking.
class DeliveryCounter final : public RdKafka::DeliveryReportCb {
 public:
  void dr_cb(RdKafka::Message& message) override {
    if (message.err() == RdKafka::ERR_NO_ERROR) {
      ++delivered;
    } else {
      errors.push_back(message.errstr());
    }
  }
  int delivered = 0;
  std::vector<std::string> errors;
};

class IdempotentProducer {
 public:
  explicit IdempotentProducer(const std::string& bootstrap) {
    auto conf = MakeConf({
        {"bootstrap.servers", bootstrap},
        // The services' producers run this way; the mock must accept their InitProducerId.
        {"enable.idempotence", "true"},
        {"acks", "all"},
    });
    std::string error;
    if (conf->set("dr_cb", &deliveries_, error) != RdKafka::Conf::CONF_OK) {
      throw std::runtime_error(error);
    }
    producer_.reset(RdKafka::Producer::create(conf.get(), error));
    if (!producer_) throw std::runtime_error("producer: " + error);
  }

  // Returns librdkafka's error for an enqueue failure; delivery is checked by FlushAll().
  RdKafka::ErrorCode Produce(const std::string& topic, const std::string& key,
                             const std::string& value,
                             const std::vector<std::pair<std::string, std::string>>& headers) {
    std::unique_ptr<RdKafka::Headers> owned(RdKafka::Headers::create());
    for (const auto& [name, header_value] : headers) owned->add(name, header_value);
    const RdKafka::ErrorCode err =
        producer_->produce(topic, RdKafka::Topic::PARTITION_UA, RdKafka::Producer::RK_MSG_COPY,
                           const_cast<char*>(value.data()), value.size(), key.data(), key.size(), 0,
                           owned.get(), nullptr);
    // On success librdkafka owns the headers; on failure they are still ours to free.
    if (err == RdKafka::ERR_NO_ERROR) owned.release();
    return err;
  }

  RdKafka::ErrorCode FlushAll() { return producer_->flush(15000); }
  const DeliveryCounter& deliveries() const { return deliveries_; }
  RdKafka::Producer& handle() { return *producer_; }

 private:
  DeliveryCounter deliveries_;  // declared first: the producer refers to it until destroyed
  std::unique_ptr<RdKafka::Producer> producer_;
};

std::unique_ptr<RdKafka::KafkaConsumer> MakeConsumer(const std::string& bootstrap,
                                                     const std::string& group) {
  auto conf = MakeConf({
      {"bootstrap.servers", bootstrap},
      {"group.id", group},
      // The mock delays every join by session.timeout.ms - 1 s; 6000 keeps a join near 5 s,
      // values near 2000 never assign (TOOLCHAIN.md).
      {"session.timeout.ms", "6000"},
      {"heartbeat.interval.ms", "500"},
      // A fresh group must start at the beginning, which also makes ignored commits visible.
      {"auto.offset.reset", "earliest"},
      // The test decides when offsets are committed.
      {"enable.auto.commit", "false"},
  });
  std::string error;
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error("consumer: " + error);
  return consumer;
}

// Polls until `count` messages arrived or `timeout` passed. Consumer errors fail the test: the
// mock has no reason to report any.
std::vector<std::unique_ptr<RdKafka::Message>> Consume(RdKafka::KafkaConsumer& consumer,
                                                       size_t count, Clock::duration timeout) {
  std::vector<std::unique_ptr<RdKafka::Message>> messages;
  const auto deadline = Clock::now() + timeout;
  while (messages.size() < count && Clock::now() < deadline) {
    std::unique_ptr<RdKafka::Message> message(consumer.consume(100));
    if (message->err() == RdKafka::ERR_NO_ERROR) {
      messages.push_back(std::move(message));
    } else if (message->err() != RdKafka::ERR__TIMED_OUT) {
      ADD_FAILURE() << "consumer error: " << message->errstr();
    }
  }
  return messages;
}

// Non-const because librdkafka parses headers lazily on first access.
std::string HeaderValue(RdKafka::Message& message, const std::string& name) {
  const RdKafka::Headers* headers = message.headers();
  if (headers == nullptr) return "<no headers>";
  const RdKafka::Headers::Header header = headers->get_last(name);
  if (header.err() != RdKafka::ERR_NO_ERROR || header.value() == nullptr) return "<missing>";
  return std::string(static_cast<const char*>(header.value()), header.value_size());
}

std::string Key(const RdKafka::Message& message) {
  return message.key() == nullptr ? "<null>" : *message.key();
}

std::string Value(const RdKafka::Message& message) {
  return std::string(static_cast<const char*>(message.payload()), message.len());
}

// ---- Fixture ----

class DevbrokerTest : public ::testing::Test {
 protected:
  // Starts a devbroker and waits until it serves; fails the test (fatally) if it does not.
  void StartBroker(std::vector<std::string> extra_args = {}) {
    broker_ = std::make_unique<DevbrokerProcess>(std::move(extra_args));
    const auto started = Clock::now();
    const std::optional<std::string> address = broker_->WaitForBootstrap();
    ASSERT_TRUE(address.has_value()) << "devbroker did not publish its bootstrap address";
    bootstrap_ = *address;
    std::cout << "[ info     ] devbroker ready in " << MillisSince(started) << " ms at "
              << bootstrap_ << "\n";
  }

  void TearDown() override {
    if (HasFailure() && broker_) {
      std::cerr << "---- devbroker stderr ----\n" << broker_->stderr_text() << "----\n";
    }
    broker_.reset();  // kills the child if it is still running
  }

  std::unique_ptr<RdKafka::Metadata> FetchMetadata() {
    auto conf = MakeConf({{"bootstrap.servers", bootstrap_}});
    std::string error;
    std::unique_ptr<RdKafka::Producer> client(RdKafka::Producer::create(conf.get(), error));
    if (!client) throw std::runtime_error("client: " + error);
    RdKafka::Metadata* raw = nullptr;
    // all_topics=true lists what exists without auto-creating anything.
    const RdKafka::ErrorCode err = client->metadata(true, nullptr, &raw, 5000);
    if (err != RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("metadata: " + RdKafka::err2str(err));
    }
    return std::unique_ptr<RdKafka::Metadata>(raw);
  }

  std::unique_ptr<DevbrokerProcess> broker_;
  std::string bootstrap_;
};

// ---- Tests ----

TEST_F(DevbrokerTest, PrintsOneListeningLineMatchingTheBootstrapFile) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  EXPECT_FALSE(bootstrap_.empty());
  EXPECT_EQ(broker_->stdout_text(), "devbroker listening on " + bootstrap_ + "\n");
}

TEST_F(DevbrokerTest, MetadataListsEveryKlinikTopicWithItsPartitionCount) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const auto metadata = FetchMetadata();

  std::map<std::string, int> listed;
  for (const RdKafka::TopicMetadata* topic : *metadata->topics()) {
    EXPECT_EQ(topic->err(), RdKafka::ERR_NO_ERROR) << topic->topic();
    listed[topic->topic()] = static_cast<int>(topic->partitions()->size());
  }
  std::map<std::string, int> expected;
  for (const topics::TopicSpec& spec : topics::kAll) {
    expected[std::string(spec.name)] = spec.partitions;
  }
  EXPECT_EQ(listed, expected);
}

TEST_F(DevbrokerTest, PartitionsOverrideAndBrokersFlagShapeTheCluster) {
  ASSERT_NO_FATAL_FAILURE(StartBroker({"--brokers", "3", "--partitions-override", "2"}));
  const auto metadata = FetchMetadata();

  EXPECT_EQ(metadata->brokers()->size(), 3u);
  ASSERT_EQ(metadata->topics()->size(), topics::kAll.size());
  for (const RdKafka::TopicMetadata* topic : *metadata->topics()) {
    EXPECT_EQ(topic->partitions()->size(), 2u) << topic->topic();
  }
}

TEST_F(DevbrokerTest, ConsumerGroupResumesFromCommittedOffsets) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  const auto test_start = Clock::now();
  const std::string topic(topics::kPatients);
  const std::string group =
      "devbroker-test-" + std::to_string(::getpid()) + "-" +
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  constexpr int kMessages = 100;
  constexpr int kKeys = 10;  // several messages per key, so per-key order is checked too

  IdempotentProducer producer(bootstrap_);
  for (int i = 0; i < kMessages; ++i) {
    ASSERT_EQ(producer.Produce(
                  topic, "patient-" + std::to_string(i % kKeys), "event-" + std::to_string(i),
                  {{"trace-id", "trace-" + std::to_string(i)}, {"schema", "klinik.patients.v1"}}),
              RdKafka::ERR_NO_ERROR);
  }
  ASSERT_EQ(producer.FlushAll(), RdKafka::ERR_NO_ERROR);
  EXPECT_EQ(producer.deliveries().delivered, kMessages);
  EXPECT_TRUE(producer.deliveries().errors.empty()) << producer.deliveries().errors.front();

  // First consumer: gets everything once, in key order, then commits.
  {
    auto first = MakeConsumer(bootstrap_, group);
    ASSERT_EQ(first->subscribe({topic}), RdKafka::ERR_NO_ERROR);
    const auto join_start = Clock::now();
    const auto messages = Consume(*first, kMessages, 30s);
    std::cout << "[ info     ] first consumer got " << messages.size() << " messages in "
              << MillisSince(join_start) << " ms (includes the group join)\n";
    ASSERT_EQ(messages.size(), static_cast<size_t>(kMessages));

    std::set<int> seen;
    std::map<std::string, int> last_per_key;
    for (const auto& message : messages) {
      const std::string value = Value(*message);
      ASSERT_TRUE(value.starts_with("event-")) << value;
      const int i = std::stoi(value.substr(6));
      EXPECT_TRUE(seen.insert(i).second) << "duplicate " << value;
      EXPECT_EQ(Key(*message), "patient-" + std::to_string(i % kKeys));
      EXPECT_EQ(HeaderValue(*message, "trace-id"), "trace-" + std::to_string(i));
      EXPECT_EQ(HeaderValue(*message, "schema"), "klinik.patients.v1");
      auto [it, inserted] = last_per_key.try_emplace(Key(*message), i);
      if (!inserted) {
        EXPECT_LT(it->second, i) << "out of order within key " << Key(*message);
        it->second = i;
      }
    }
    EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));

    ASSERT_EQ(first->commitSync(), RdKafka::ERR_NO_ERROR);
    OwnedPartitionList assignment;
    ASSERT_EQ(first->assignment(assignment.list), RdKafka::ERR_NO_ERROR);
    ASSERT_EQ(first->committed(assignment.list, 5000), RdKafka::ERR_NO_ERROR);
    int64_t committed_total = 0;
    for (const RdKafka::TopicPartition* partition : assignment.list) {
      if (partition->offset() >= 0) committed_total += partition->offset();
    }
    EXPECT_EQ(committed_total, kMessages);
    ASSERT_EQ(first->close(), RdKafka::ERR_NO_ERROR);
  }

  // Second consumer, same group: only what was produced after the commit.
  auto second = MakeConsumer(bootstrap_, group);
  ASSERT_EQ(second->subscribe({topic}), RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer.Produce(topic, "patient-after", "event-after-commit",
                             {{"trace-id", "trace-after"}, {"schema", "klinik.patients.v1"}}),
            RdKafka::ERR_NO_ERROR);
  ASSERT_EQ(producer.FlushAll(), RdKafka::ERR_NO_ERROR);

  const auto rejoin_start = Clock::now();
  const auto after = Consume(*second, 1, 30s);
  std::cout << "[ info     ] second consumer got its first message in " << MillisSince(rejoin_start)
            << " ms (includes the group join)\n";
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(Key(*after[0]), "patient-after");
  EXPECT_EQ(Value(*after[0]), "event-after-commit");
  EXPECT_EQ(HeaderValue(*after[0], "trace-id"), "trace-after");
  // Had the committed offsets been ignored, auto.offset.reset=earliest would replay the first
  // 100 messages around the new one; give them a moment to show up.
  const auto replayed = Consume(*second, 1, 1s);
  EXPECT_TRUE(replayed.empty()) << "replayed " << Value(*replayed[0]);
  EXPECT_EQ(second->close(), RdKafka::ERR_NO_ERROR);

  std::cout << "[ info     ] consumer-group round trip took " << MillisSince(test_start) << " ms\n";
}

class DevbrokerStopTest : public DevbrokerTest, public ::testing::WithParamInterface<int> {};

TEST_P(DevbrokerStopTest, ExitsZeroWithinFiveSecondsWithAClientConnected) {
  ASSERT_NO_FATAL_FAILURE(StartBroker());
  // A live connection makes the shutdown realistic: `make run` stops it under running services.
  auto conf = MakeConf({
      {"bootstrap.servers", bootstrap_},
      // Losing the broker is this client's expected fate; its complaints would only be noise.
      {"log_level", "0"},
  });
  std::string error;
  std::unique_ptr<RdKafka::Producer> client(RdKafka::Producer::create(conf.get(), error));
  ASSERT_TRUE(client) << error;
  RdKafka::Metadata* raw = nullptr;
  ASSERT_EQ(client->metadata(true, nullptr, &raw, 5000), RdKafka::ERR_NO_ERROR);
  delete raw;

  const auto signalled = Clock::now();
  ASSERT_EQ(::kill(broker_->pid(), GetParam()), 0);
  const std::optional<int> status = broker_->WaitForExit(5s);
  std::cout << "[ info     ] exited " << MillisSince(signalled) << " ms after the signal\n";
  ASSERT_TRUE(status.has_value()) << "still running 5 s after the signal";
  ASSERT_TRUE(WIFEXITED(*status)) << "killed by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_FALSE(std::filesystem::exists(broker_->bootstrap_file()))
      << "a stale bootstrap file would point the next `make run` at a dead address";
}

INSTANTIATE_TEST_SUITE_P(Signals, DevbrokerStopTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return std::string(sigabbrev_np(info.param));
                         });

TEST_F(DevbrokerTest, BadFlagExitsTwoWithOneLineNamingTheFlag) {
  broker_ = std::make_unique<DevbrokerProcess>(std::vector<std::string>{"--brokers", "many"});
  const std::optional<int> status = broker_->WaitForExit(5s);
  ASSERT_TRUE(status.has_value());
  ASSERT_TRUE(WIFEXITED(*status));
  EXPECT_EQ(WEXITSTATUS(*status), 2);
  const std::string err = broker_->stderr_text();
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("--brokers"), std::string::npos) << err;
  EXPECT_EQ(broker_->stdout_text(), "");
  EXPECT_FALSE(std::filesystem::exists(broker_->bootstrap_file()));
}

// ---- Option parsing (no process) ----

struct AcceptedCase {
  std::vector<std::string> args;
  int brokers;
  std::string bootstrap_file;
  std::optional<int> partitions_override;
};

// Test names (and ctest's) show the command line instead of the struct's bytes.
std::string CommandLine(const std::vector<std::string>& args) {
  std::string line = "devbroker";
  for (const std::string& arg : args) line += " " + arg;
  return line;
}

void PrintTo(const AcceptedCase& c, std::ostream* os) { *os << CommandLine(c.args); }

class AcceptedOptionsTest : public ::testing::TestWithParam<AcceptedCase> {};

TEST_P(AcceptedOptionsTest, ParsesToTheExpectedOptions) {
  const ParsedArgs parsed = ParseOptions(GetParam().args);
  ASSERT_TRUE(parsed.ok()) << parsed.error;
  EXPECT_EQ(parsed.options.brokers, GetParam().brokers);
  EXPECT_EQ(parsed.options.bootstrap_file, GetParam().bootstrap_file);
  EXPECT_EQ(parsed.options.partitions_override, GetParam().partitions_override);
}

INSTANTIATE_TEST_SUITE_P(
    Flags, AcceptedOptionsTest,
    ::testing::Values(AcceptedCase{{}, 1, "", std::nullopt},
                      AcceptedCase{{"--brokers", "3"}, 3, "", std::nullopt},
                      AcceptedCase{{"--brokers=64"}, 64, "", std::nullopt},
                      AcceptedCase{{"--bootstrap-file", "/tmp/bs"}, 1, "/tmp/bs", std::nullopt},
                      AcceptedCase{{"--bootstrap-file=/tmp/a=b"}, 1, "/tmp/a=b", std::nullopt},
                      AcceptedCase{{"--partitions-override", "1"}, 1, "", 1},
                      AcceptedCase{{"--brokers", "2", "--brokers", "4"}, 4, "", std::nullopt}));

struct RejectedCase {
  std::vector<std::string> args;
  std::string named_flag;  // the error must start with it
};

void PrintTo(const RejectedCase& c, std::ostream* os) { *os << CommandLine(c.args); }

class RejectedOptionsTest : public ::testing::TestWithParam<RejectedCase> {};

TEST_P(RejectedOptionsTest, ErrorNamesTheFlagOnOneLine) {
  const ParsedArgs parsed = ParseOptions(GetParam().args);
  ASSERT_FALSE(parsed.ok());
  EXPECT_TRUE(parsed.error.starts_with(GetParam().named_flag)) << parsed.error;
  EXPECT_EQ(parsed.error.find('\n'), std::string::npos) << parsed.error;
}

INSTANTIATE_TEST_SUITE_P(
    Flags, RejectedOptionsTest,
    ::testing::Values(RejectedCase{{"--brokers"}, "--brokers"},
                      RejectedCase{{"--brokers", "0"}, "--brokers"},
                      RejectedCase{{"--brokers", "65"}, "--brokers"},
                      RejectedCase{{"--brokers", "3x"}, "--brokers"},
                      RejectedCase{{"--brokers="}, "--brokers"},
                      RejectedCase{{"--bootstrap-file"}, "--bootstrap-file"},
                      RejectedCase{{"--bootstrap-file="}, "--bootstrap-file"},
                      RejectedCase{{"--partitions-override", "-1"}, "--partitions-override"},
                      RejectedCase{{"--partitions-override", "many"}, "--partitions-override"},
                      RejectedCase{{"--listen", "127.0.0.1:9092"}, "--listen"},
                      RejectedCase{{"--listen=127.0.0.1:9092"}, "--listen"},
                      RejectedCase{{"--verbose"}, "--verbose"}, RejectedCase{{"stray"}, "stray"}));

}  // namespace
}  // namespace klinik::devbroker
