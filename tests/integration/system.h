// The whole system as separate processes for scenario tests: the SatuSehat sandbox and every
// service of services/services.json, each on its own PostgreSQL schema, all on the shared real
// Kafka. Tests drive it only through the intake topics, gRPC and the sandbox's control API — as
// real clients do.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <google/protobuf/message_lite.h>
#include <nlohmann/json.hpp>

#include "klinik/kafka.h"
#include "test_infra.h"

namespace klinik::integration {

inline constexpr const char* kOrgId = "10000004";

class System {
 public:
  System();
  ~System();

  // Starts (or restarts) one service and waits until it is ready.
  void Start(const std::string& service);
  void Kill(const std::string& service);  // SIGKILL, no goodbye
  int GrpcPort(const std::string& service) const { return grpc_ports_.at(service); }
  std::string GrpcTarget(const std::string& service) const {
    return "127.0.0.1:" + std::to_string(GrpcPort(service));
  }
  const std::string& db_url(const std::string& service) const { return db_urls_.at(service); }

  // Publishes one intake event with CloudEvents headers.
  void Publish(std::string_view topic, const std::string& key, const std::string& ce_type,
               const google::protobuf::MessageLite& value);

  // The sandbox: seed the national index, read what it stored.
  void SeedPatient(const std::string& nik, const std::string& ihs);
  void SeedPractitioner(const std::string& nik, const std::string& ihs);
  nlohmann::json SandboxResources(const std::string& type);
  std::string sandbox_url() const { return sandbox_url_; }

  std::string Output(const std::string& service) const;

 private:
  std::map<std::string, std::string> EnvFor(const std::string& service) const;

  std::unique_ptr<testing::ChildProcess> sandbox_;
  std::string sandbox_url_;
  std::string secret_file_;
  std::map<std::string, std::unique_ptr<testing::ChildProcess>> services_;
  std::map<std::string, std::string> db_urls_;
  std::map<std::string, int> grpc_ports_;
  std::string group_suffix_;
  std::unique_ptr<Producer> producer_;
};

// Facts on a topic whose value satisfies `match`, read from the beginning until `count` of
// them arrived or `timeout` passed.
template <typename Wrapper, typename Match>
std::vector<Wrapper> ReadFacts(const std::string& topic, size_t count, Match match,
                               std::chrono::milliseconds timeout) {
  std::vector<Wrapper> found;
  testing::WaitUntil(
      [&] {
        found.clear();
        for (const auto& m : testing::ReadTopic(topic, 100000, std::chrono::seconds(2))) {
          Wrapper w;
          if (w.ParseFromString(m.value) && match(w)) found.push_back(w);
        }
        return found.size() >= count;
      },
      timeout);
  return found;
}

}  // namespace klinik::integration
