#include "test_infra.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <curl/curl.h>
#include <librdkafka/rdkafkacpp.h>

#include <nlohmann/json.hpp>

#include "internal/kafka_holders.h"
#include "klinik/time_util.h"

namespace klinik::testing {
namespace fs = std::filesystem;
namespace {

std::string Env(const char* name, const std::string& fallback = "") {
  const char* v = std::getenv(name);
  return v && *v ? v : fallback;
}

std::string ReadFirstLine(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

std::string SourceDir() {
#ifdef KLINIK_SOURCE_DIR_DEFAULT
  return Env("KLINIK_SOURCE_DIR", KLINIK_SOURCE_DIR_DEFAULT);
#else
  return Env("KLINIK_SOURCE_DIR", ".");
#endif
}

// Starts a piece of infrastructure with its script when no ctest fixture did, once per process.
std::string Ensure(const std::string& kind, const std::string& file) {
  static std::mutex mutex;
  static std::map<std::string, std::string> started;
  std::lock_guard lock(mutex);
  if (auto it = started.find(kind); it != started.end()) return it->second;
  std::string state = Env("KLINIK_TEST_STATE_DIR");
  if (!state.empty()) {
    fs::path p = fs::path(state) / kind / file;
    if (fs::exists(p)) return started[kind] = ReadFirstLine(p);
  }
  // Run by hand: start our own in a temporary folder and stop it at exit.
  std::string dir = TempDir() + "/" + kind;
  std::string script = SourceDir() + "/tests/infra/" + kind + ".sh";
  std::string cmd = "bash '" + script + "' start '" + dir + "' >/dev/null";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("cannot start " + kind + " with " + script);
  static std::vector<std::string> to_stop;
  to_stop.push_back("bash '" + script + "' stop '" + dir + "' >/dev/null 2>&1");
  static bool registered = false;
  if (!registered) {
    registered = true;
    std::atexit([] {
      for (const auto& c : to_stop) (void)std::system(c.c_str());
    });
  }
  return started[kind] = ReadFirstLine(fs::path(dir) / file);
}

}  // namespace

std::string TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "klinik-test-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

std::string UniqueName(const std::string& prefix) { return prefix + "." + NewUuid().substr(0, 8); }

std::string KafkaBootstrap() { return Ensure("kafka", "bootstrap"); }

KafkaSettings KafkaTestSettings() {
  KafkaSettings s;
  s.properties["bootstrap.servers"] = KafkaBootstrap();
  s.properties["topic.metadata.refresh.interval.ms"] = "1000";
  return s;
}

void CreateTopics(const std::vector<std::string>& topics, int partitions) {
  std::string error =
      klinik::CreateTopics(KafkaTestSettings(), topics, partitions, std::chrono::seconds(30));
  if (!error.empty()) throw std::runtime_error("CreateTopics: " + error);
}

std::string FreshPostgresDatabase() {
  std::string base = Ensure("postgres", "url");
  // A schema per test is much cheaper than a database (CREATE DATABASE copies a template and
  // checkpoints); search_path makes it the test's whole world.
  std::string name = "t_" + NewUuid().substr(0, 8);
  PGconn* conn = PQconnectdb(base.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string why = PQerrorMessage(conn);
    PQfinish(conn);
    throw std::runtime_error("cannot reach test PostgreSQL: " + why);
  }
  PGresult* r = PQexec(conn, ("CREATE SCHEMA " + name).c_str());
  bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  std::string why = PQresultErrorMessage(r);
  PQclear(r);
  PQfinish(conn);
  if (!ok) throw std::runtime_error("CREATE SCHEMA failed: " + why);
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" +
         name;
}

std::string FreshSqliteDatabase() { return "sqlite://" + TempDir() + "/test.db"; }

std::string FreshDatabase(std::string_view backend) {
  return backend == "postgres" ? FreshPostgresDatabase() : FreshSqliteDatabase();
}

std::vector<ConsumedMessage> ReadTopic(const std::string& topic, size_t count,
                                       std::chrono::milliseconds timeout) {
  KafkaSettings s = KafkaTestSettings();
  Consumer consumer(s, UniqueName("reader"), {topic});
  std::vector<ConsumedMessage> out;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < count && std::chrono::steady_clock::now() < deadline) {
    for (auto& m : consumer.PollBatch(1000, std::chrono::milliseconds(200)))
      out.push_back(std::move(m));
  }
  consumer.Close();
  return out;
}

namespace {

// A consumer of group `group` that subscribes to nothing: it reads and commits the group's
// offsets by hand. `who` names the caller in errors.
std::unique_ptr<RdKafka::KafkaConsumer> GroupHandle(const std::string& group,
                                                    const std::string& who) {
  std::string error;
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  if (conf->set("bootstrap.servers", KafkaBootstrap(), error) != RdKafka::Conf::CONF_OK ||
      conf->set("group.id", group, error) != RdKafka::Conf::CONF_OK ||
      conf->set("enable.auto.commit", "false", error) != RdKafka::Conf::CONF_OK) {
    throw std::runtime_error(who + ": " + error);
  }
  std::unique_ptr<RdKafka::KafkaConsumer> consumer(
      RdKafka::KafkaConsumer::create(conf.get(), error));
  if (!consumer) throw std::runtime_error(who + ": " + error);
  return consumer;
}

}  // namespace

void StartGroupAtEnd(const std::string& group, const std::vector<std::string>& topics) {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = GroupHandle(group, "StartGroupAtEnd");
  RdKafka::Metadata* raw = nullptr;
  if (consumer->metadata(true, nullptr, &raw, 10000) != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("StartGroupAtEnd: no metadata");
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  TopicPartitionListHolder ends;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    if (std::find(topics.begin(), topics.end(), t->topic()) == topics.end()) continue;
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      int64_t low = 0, high = 0;
      // A partition just created may have no leader yet: ask again for a while.
      RdKafka::ErrorCode rc = RdKafka::ERR_NO_ERROR;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      do {
        rc = consumer->query_watermark_offsets(t->topic(), p->id(), &low, &high, 5000);
        if (rc != RdKafka::ERR_NO_ERROR)
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
      } while (rc != RdKafka::ERR_NO_ERROR && std::chrono::steady_clock::now() < deadline);
      if (rc != RdKafka::ERR_NO_ERROR) {
        throw std::runtime_error("StartGroupAtEnd: no watermarks for " + t->topic() + ": " +
                                 RdKafka::err2str(rc));
      }
      ends.Add(t->topic(), p->id(), high);
    }
  }
  RdKafka::ErrorCode rc = consumer->commitSync(ends.get());
  consumer->close();
  if (rc != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("StartGroupAtEnd: commit failed: " + RdKafka::err2str(rc));
  }
}

int64_t GroupLag(const std::string& group, const std::string& topic) {
  std::unique_ptr<RdKafka::KafkaConsumer> consumer = GroupHandle(group, "GroupLag");
  std::string error;
  std::unique_ptr<RdKafka::Topic> handle(
      RdKafka::Topic::create(consumer.get(), topic, nullptr, error));
  if (!handle) throw std::runtime_error("GroupLag: topic " + topic + ": " + error);
  RdKafka::Metadata* raw = nullptr;
  if (consumer->metadata(false, handle.get(), &raw, 10000) != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("GroupLag: no metadata");
  }
  std::unique_ptr<RdKafka::Metadata> metadata(raw);
  TopicPartitionListHolder partitions;
  for (const RdKafka::TopicMetadata* t : *metadata->topics()) {
    for (const RdKafka::PartitionMetadata* p : *t->partitions()) {
      partitions.Add(topic, p->id());
    }
  }
  int64_t lag = 0;
  if (consumer->committed(partitions.get(), 10000) != RdKafka::ERR_NO_ERROR) {
    throw std::runtime_error("GroupLag: committed offsets unavailable");
  }
  for (RdKafka::TopicPartition* p : partitions.get()) {
    int64_t low = 0, high = 0;
    if (consumer->query_watermark_offsets(topic, p->partition(), &low, &high, 10000) !=
        RdKafka::ERR_NO_ERROR) {
      throw std::runtime_error("GroupLag: no watermarks");
    }
    int64_t committed = p->offset() >= 0 ? p->offset() : low;
    lag += std::max<int64_t>(0, high - committed);
  }
  consumer->close();
  return lag;
}

bool WaitUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return done();
}

ChildProcess::ChildProcess(std::string path, std::vector<std::string> args,
                           std::map<std::string, std::string> env) {
  std::string dir = TempDir();
  output_file_ = dir + "/output.log";
  ports_file_ = dir + "/ports.json";
  env.try_emplace("KLINIK_PORTS_FILE", ports_file_);
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = open(output_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    setpgid(0, 0);
    // The test process may block SIGTERM/SIGINT (ServiceRuntime does); children start clean.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    argv.push_back(path.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (!exited_ && pid_ > 0) {
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::Signal(int sig) {
  if (!exited_) ::kill(pid_, sig);
}

bool ChildProcess::Running() {
  if (exited_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exited_ = true;
    status_ = status;
    return false;
  }
  return true;
}

int ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (!WaitUntil([&] { return !Running(); }, timeout)) return -1;
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::string ChildProcess::Output() const {
  std::ifstream in(output_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool ChildProcess::WaitForPorts(std::chrono::milliseconds timeout, int* grpc_port, int* http_port) {
  bool ok = WaitUntil([&] { return fs::exists(ports_file_) || !Running(); }, timeout);
  if (!ok || !fs::exists(ports_file_)) return false;
  std::ifstream in(ports_file_);
  auto j = nlohmann::json::parse(in);
  if (grpc_port) *grpc_port = j.at("grpc").get<int>();
  if (http_port) *http_port = j.at("http").get<int>();
  return true;
}

std::string BinaryPath(const std::string& relative) {
#ifdef KLINIK_BINARY_DIR_DEFAULT
  return Env("KLINIK_BINARY_DIR", KLINIK_BINARY_DIR_DEFAULT) + "/" + relative;
#else
  return Env("KLINIK_BINARY_DIR", ".") + "/" + relative;
#endif
}

std::string GrpcurlPath() {
#ifdef KLINIK_GRPCURL_DEFAULT
  std::string path = Env("KLINIK_GRPCURL", KLINIK_GRPCURL_DEFAULT);
#else
  std::string path = Env("KLINIK_GRPCURL");
#endif
  return path.find("NOTFOUND") == std::string::npos ? path : "";
}

namespace {

size_t AppendBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

}  // namespace

int HttpRequest(const std::string& method, const std::string& url, const std::string& body,
                std::string* response, std::chrono::milliseconds timeout) {
  CURL* curl = curl_easy_init();
  response->clear();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, AppendBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, response);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (method == "POST") curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  if (method != "GET" && method != "POST")
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  long status = 0;
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return static_cast<int>(status);
}

std::string HttpGet(int port, const std::string& path, int* status) {
  *status = 0;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return "";
  }
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  (void)!write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<size_t>(n));
  close(fd);
  if (resp.size() > 12) *status = std::atoi(resp.substr(9, 3).c_str());
  auto body = resp.find("\r\n\r\n");
  return body == std::string::npos ? "" : resp.substr(body + 4);
}

}  // namespace klinik::testing
