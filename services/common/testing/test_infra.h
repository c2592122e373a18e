// Test fixtures on real infrastructure. Under ctest, Apache Kafka and PostgreSQL are started
// once per run by the infra.* fixtures (tests/infra/*.sh) and found through
// $KLINIK_TEST_STATE_DIR; a test binary run by hand starts its own and stops them at exit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "klinik/kafka.h"

namespace klinik::testing {

// host:port of the shared Kafka broker.
std::string KafkaBootstrap();
// Settings for test clients: the bootstrap plus quick metadata refresh.
KafkaSettings KafkaTestSettings();
// Creates topics (3 partitions unless told otherwise) and waits until they are usable.
void CreateTopics(const std::vector<std::string>& topics, int partitions = 3);
// A name no other test uses: "<prefix>.<random>".
std::string UniqueName(const std::string& prefix);

// postgresql:// URL of a new, empty schema (its own search_path) on the shared server.
std::string FreshPostgresDatabase();
// sqlite:// URL of a new file in a fresh temporary folder.
std::string FreshSqliteDatabase();
// FreshPostgresDatabase() for "postgres", else FreshSqliteDatabase(): the backend parameter of
// the suites that run on both.
std::string FreshDatabase(std::string_view backend);
// A new temporary folder (removed by the OS's tmp cleaning, not by the test).
std::string TempDir();

// Reads a topic from the beginning with a fresh group until `count` messages arrived or
// `timeout` passed; returns what arrived.
std::vector<ConsumedMessage> ReadTopic(const std::string& topic, size_t count,
                                       std::chrono::milliseconds timeout);

// Commits, for consumer group `group`, the current end of every partition of `topics`: a
// service started later with that group skips what earlier tests published on shared topics
// and reads only what comes after this call.
void StartGroupAtEnd(const std::string& group, const std::vector<std::string>& topics);

// For consumer group `group`: the sum over the partitions of `topic` of (high watermark -
// committed offset), a partition without a committed offset counting from its low watermark.
int64_t GroupLag(const std::string& group, const std::string& topic);

// Polls `done` every 50 ms until it returns true or `timeout` passes.
bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout);

// A child process with its own environment additions; killed (SIGKILL) when destroyed.
class ChildProcess {
 public:
  ChildProcess(std::string path, std::vector<std::string> args,
               std::map<std::string, std::string> env);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  void Signal(int sig);
  // Exit code (or 128+signal); -1 on timeout.
  int Wait(std::chrono::milliseconds timeout);
  bool Running();
  [[nodiscard]] pid_t pid() const { return pid_; }
  // What the child wrote to stdout and stderr so far.
  [[nodiscard]] std::string Output() const;
  // Waits for the KLINIK_PORTS_FILE the child writes when it is listening.
  bool WaitForPorts(std::chrono::milliseconds timeout, int* grpc_port, int* http_port);
  [[nodiscard]] const std::string& ports_file() const { return ports_file_; }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
  std::string output_file_;
  std::string ports_file_;
};

// Path of a binary built by this build tree (e.g. "services/registration/registration").
std::string BinaryPath(const std::string& relative);

// Path of grpcurl (KLINIK_GRPCURL, else the one found at configure time); "" when missing.
std::string GrpcurlPath();

// An HTTP exchange with libcurl (JSON body on POST, no proxy); returns the status (0 when
// unreachable) and fills `response` with the body.
int HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                std::string* response,
                std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Body of GET http://127.0.0.1:<port><path>, and its status code (0 when unreachable).
std::string HttpGet(int port, const std::string& path, int* status);

}  // namespace klinik::testing
