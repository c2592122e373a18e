// The development Kafka broker for `make run`: librdkafka's mock cluster in one process, with
// every topic of klinik/topics.h created up front. It is NOT the broker for tests of services;
// those use a real Apache Kafka because the mock fakes transactions and slows rebalances
// (see README.md).
//
// Contract with whoever starts it (tools/dev/run.sh, devbroker_test.cpp):
//   - stdout carries exactly one line, `devbroker listening on <bootstrap>`, once every topic
//     exists; with --bootstrap-file the same address appears in that file at the same moment;
//   - stderr carries JSON log lines (usage errors: one plain line naming the flag, exit 2);
//   - SIGTERM or SIGINT destroys the cluster, removes the bootstrap file and exits 0;
//     a start-up failure exits 1.

#include <librdkafka/rdkafka.h>
// rdkafka_mock.h refuses to compile unless rdkafka.h comes first.
#include <librdkafka/rdkafka_mock.h>

#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include <klinik/topics.h>

#include "devbroker_options.h"

namespace klinik::devbroker {
namespace {

// ---- Logging: one JSON object per line on stderr ----

using LogFields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string UtcTimestamp() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[40];
  const size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(millis));
  return buf;
}

// librdkafka logs from its own threads; the mutex keeps lines whole.
std::mutex g_log_mutex;

void Log(std::string_view level, std::string_view msg, LogFields fields = {}) {
  std::string line = "{\"ts\":\"" + UtcTimestamp() + "\",\"level\":\"" + std::string(level) +
                     "\",\"logger\":\"devbroker\",\"msg\":\"" + JsonEscape(msg) + "\"";
  for (const auto& [key, value] : fields) {
    line += ",\"" + std::string(key) + "\":\"" + JsonEscape(value) + "\"";
  }
  line += "}\n";
  const std::lock_guard lock(g_log_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

// Routes the mock cluster's own messages (listener errors, client disconnects) into the same
// JSON stream instead of librdkafka's default "%7|...|" format.
void LogFromLibrdkafka(const rd_kafka_t* /*rk*/, int syslog_level, const char* facility,
                       const char* message) {
  // The owning handle has no bootstrap.servers on purpose (it only hosts the cluster); its
  // CONFWARN about that would send readers hunting for a misconfiguration that isn't one.
  if (std::string_view(facility) == "CONFWARN" &&
      std::string_view(message).find("bootstrap.servers") != std::string_view::npos) {
    return;
  }
  const std::string_view level = syslog_level <= 3   ? "error"
                                 : syslog_level <= 4 ? "warn"
                                 : syslog_level <= 6 ? "info"
                                                     : "debug";
  Log(level, message, {{"source", "librdkafka"}, {"facility", facility}});
}

// ---- RAII for librdkafka's C handles ----

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const {
    rd_kafka_mock_cluster_destroy(cluster);
  }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;
using MockClusterPtr = std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter>;

void SetConf(rd_kafka_conf_t* conf, const char* key, const char* value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, key, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    throw std::runtime_error(std::string("librdkafka config ") + key + ": " + errstr);
  }
}

// ---- The broker ----

// See DevBroker::CreateTopics.
constexpr std::chrono::milliseconds kPauseBetweenMockRequests{2};

// A running mock cluster with every klinik topic created. Constructing it is "ready": listeners
// are bound and topics exist before the constructor returns. Throws std::runtime_error when
// librdkafka refuses.
class DevBroker final {
 public:
  explicit DevBroker(const Options& options) {
    ConfPtr conf(rd_kafka_conf_new());
    // Names this handle in librdkafka's log lines; it never produces anything itself.
    SetConf(conf.get(), "client.id", "devbroker");
    rd_kafka_conf_set_log_cb(conf.get(), &LogFromLibrdkafka);

    char errstr[512];
    // A mock cluster needs an owning rd_kafka_t for bookkeeping; a producer is the cheapest type.
    handle_.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof errstr));
    if (!handle_) throw std::runtime_error(std::string("rd_kafka_new: ") + errstr);
    conf.release();  // rd_kafka_new took ownership on success

    cluster_.reset(rd_kafka_mock_cluster_new(handle_.get(), options.brokers));
    if (!cluster_) throw std::runtime_error("rd_kafka_mock_cluster_new failed (see log above)");
    bootstrap_ = rd_kafka_mock_cluster_bootstraps(cluster_.get());

    CreateTopics(options.partitions_override);
  }

  DevBroker(const DevBroker&) = delete;
  DevBroker& operator=(const DevBroker&) = delete;

  const std::string& bootstrap() const { return bootstrap_; }

 private:
  // Explicit creation is required, not a convenience: the mock auto-creates any unknown topic
  // with 4 partitions on the first metadata request, and it does not implement CreateTopics.
  void CreateTopics(std::optional<int> partitions_override) {
    for (const topics::TopicSpec& spec : topics::kAll) {
      // The mock's thread serves its op queue and only then drains the queue's wake-up pipe, so
      // a request sent in between (as the next back-to-back create would be) sits until the
      // thread's 1 s poll timeout: measured as 1-2 s start-ups. A short pause lets the drain
      // finish first.
      std::this_thread::sleep_for(kPauseBetweenMockRequests);
      const std::string name(spec.name);
      const int partitions = partitions_override.value_or(spec.partitions);
      // Replication factor 1: with several brokers a replica set would only add fetch traffic,
      // the mock never loses data.
      const rd_kafka_resp_err_t err =
          rd_kafka_mock_topic_create(cluster_.get(), name.c_str(), partitions, 1);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error("creating topic " + name + ": " + rd_kafka_err2str(err));
      }
      Log("info", "topic created", {{"topic", name}, {"partitions", std::to_string(partitions)}});
    }
  }

  // Declaration order is destruction order in reverse: the cluster must be destroyed while the
  // handle that owns its bookkeeping is still alive.
  HandlePtr handle_;
  MockClusterPtr cluster_;
  std::string bootstrap_;
};

// ---- The bootstrap file ----

// Holds `path` with `content` for as long as the object lives. Writing goes through a temporary
// file in the same directory and rename(2), so a poller sees either no file or the whole address;
// removal on destruction means a file left from an earlier run is never mistaken for this one.
class PublishedFile final {
 public:
  PublishedFile(std::filesystem::path path, std::string_view content) : path_(std::move(path)) {
    std::filesystem::path tmp = path_;
    tmp += ".tmp." + std::to_string(::getpid());
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out << content;
      out.close();
      if (!out) {
        std::error_code ignored;
        std::filesystem::remove(tmp, ignored);
        throw std::runtime_error("cannot write " + tmp.string() + " (does its directory exist?)");
      }
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path_, ec);
    if (ec) {
      std::filesystem::remove(tmp, ec);
      throw std::runtime_error("cannot rename " + tmp.string() + " to " + path_.string() + ": " +
                               ec.message());
    }
  }

  PublishedFile(const PublishedFile&) = delete;
  PublishedFile& operator=(const PublishedFile&) = delete;

  ~PublishedFile() {
    std::error_code ignored;
    std::filesystem::remove(path_, ignored);
  }

 private:
  std::filesystem::path path_;
};

// ---- Signals ----

sigset_t StopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

// Must run before librdkafka starts any thread: threads inherit the mask, so the stop signals
// can only be consumed by sigwait() in main and no handler has to be async-signal-safe.
void BlockStopSignals() {
  // A shell starting us with `&` sets SIGINT to SIG_IGN, and an ignored signal is discarded
  // before sigwait() could see it; restore the default so Ctrl-C and `kill -INT` still work.
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const sigset_t set = StopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForStopSignal() {
  const sigset_t set = StopSignals();
  int signal_number = 0;
  while (sigwait(&set, &signal_number) != 0) {
  }
  return signal_number;
}

int Run(const Options& options) {
  BlockStopSignals();
  try {
    const DevBroker broker(options);
    std::optional<PublishedFile> bootstrap_file;
    if (!options.bootstrap_file.empty()) {
      bootstrap_file.emplace(options.bootstrap_file, broker.bootstrap() + "\n");
    }
    std::printf("devbroker listening on %s\n", broker.bootstrap().c_str());
    std::fflush(stdout);
    Log("info", "ready",
        {{"bootstrap", broker.bootstrap()},
         {"brokers", std::to_string(options.brokers)},
         {"topics", std::to_string(topics::kAll.size())}});

    const int signal_number = WaitForStopSignal();
    Log("info", "stopping", {{"signal", sigabbrev_np(signal_number)}});
    // Leaving this scope removes the bootstrap file first, then destroys the cluster.
  } catch (const std::exception& e) {
    Log("error", "start-up failed", {{"error", e.what()}});
    return 1;
  }
  Log("info", "stopped");
  return 0;
}

}  // namespace
}  // namespace klinik::devbroker

int main(int argc, char** argv) {
  using namespace klinik::devbroker;
  const ParsedArgs parsed = ParseOptions(std::vector<std::string>(argv + 1, argv + argc));
  if (!parsed.ok()) {
    std::fprintf(stderr, "devbroker: %s\n", parsed.error.c_str());
    return 2;
  }
  if (parsed.options.help) {
    std::fwrite(kUsage.data(), 1, kUsage.size(), stdout);
    return 0;
  }
  return Run(parsed.options);
}
