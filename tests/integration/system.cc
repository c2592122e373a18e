#include "system.h"

#include <signal.h>

#include <fstream>
#include <stdexcept>

#include "klinik/cloudevents.h"
#include "klinik/service_manifest.h"
#include "klinik/time_util.h"
#include "klinik/topics.h"

namespace klinik::integration {
namespace {

using namespace std::chrono_literals;

std::string BinaryOf(const std::string& service) {
  for (const auto& entry : manifest::kServices) {
    if (entry.name == service) return testing::BinaryPath(std::string(entry.binary));
  }
  throw std::invalid_argument(service + " is not in services/services.json");
}

}  // namespace

System::System() : group_suffix_("-it-" + NewUuid().substr(0, 8)) {
  std::vector<std::string> all;
  for (const auto& spec : topics::kAll) all.emplace_back(spec.name);
  testing::CreateTopics(all);
  producer_ = std::make_unique<Producer>(testing::KafkaTestSettings());

  std::string dir = testing::TempDir();
  secret_file_ = dir + "/secret";
  std::ofstream(secret_file_) << "it-secret";
  std::string ports = dir + "/sandbox.json";
  sandbox_ = std::make_unique<testing::ChildProcess>(
      testing::BinaryPath("tools/satusehat-sandbox/satusehat-sandbox"),
      std::vector<std::string>{"--listen", "127.0.0.1:0", "--ports-file", ports, "--org-id", kOrgId,
                               "--client-id", "it-client", "--client-secret", "it-secret"},
      std::map<std::string, std::string>{{"KLINIK_PORTS_FILE", ports}});
  if (!testing::WaitUntil([&] { return std::ifstream(ports).good(); }, 30s)) {
    throw std::runtime_error("sandbox did not start: " + sandbox_->Output());
  }
  int port = nlohmann::json::parse(std::ifstream(ports)).at("http").get<int>();
  sandbox_url_ = "http://127.0.0.1:" + std::to_string(port);
  // Manifest order is start order: screening needs registration's gRPC port in its environment.
  for (const auto& s : manifest::kServices)
    db_urls_[std::string(s.name)] = testing::FreshPostgresDatabase();
  for (const auto& s : manifest::kServices) Start(std::string(s.name));
}

System::~System() {
  for (auto& [name, p] : services_) {
    if (p) p->Signal(SIGTERM);
  }
  for (auto& [name, p] : services_) {
    if (p) p->Wait(20s);
  }
}

std::map<std::string, std::string> System::EnvFor(const std::string& service) const {
  std::map<std::string, std::string> env = {
      {"KLINIK_DATABASE_URL", db_urls_.at(service)},
      {"KLINIK_KAFKA_BOOTSTRAP_SERVERS", testing::KafkaBootstrap()},
      {"KLINIK_CONSUMER_GROUP", "klinik-" + service + group_suffix_},
      {"KLINIK_GRPC_ADDRESS", "127.0.0.1:0"},
      {"KLINIK_HTTP_ADDRESS", "127.0.0.1:0"},
      {"KLINIK_RETRY_INITIAL", "100ms"},
      {"KLINIK_RETRY_MAX", "2s"},
      {"KLINIK_SHUTDOWN_TIMEOUT", "15s"},
  };
  if (service == "screening") env["KLINIK_REGISTRATION_ADDRESS"] = GrpcTarget("registration");
  if (service == "referral") env["KLINIK_DEFAULT_PUSKESMAS_ID"] = "puskesmas-it";
  if (service == "satusehat-sync") {
    env["KLINIK_SATUSEHAT_AUTH_URL"] = sandbox_url_ + "/oauth2/v1";
    env["KLINIK_SATUSEHAT_FHIR_URL"] = sandbox_url_ + "/fhir-r4/v1";
    env["KLINIK_SATUSEHAT_ORG_ID"] = kOrgId;
    env["KLINIK_SATUSEHAT_CLIENT_ID"] = "it-client";
    env["KLINIK_SATUSEHAT_CLIENT_SECRET_FILE"] = secret_file_;
    env["KLINIK_SATUSEHAT_LOCATION_ID"] = "loc-it";
    env["KLINIK_SATUSEHAT_RATE"] = "200";
    env["KLINIK_SYNC_POLL_INTERVAL"] = "100ms";
    env["KLINIK_SYNC_PATIENT_RETRY"] = "1s";
    env["KLINIK_SYNC_BACKOFF_INITIAL"] = "100ms";
  }
  return env;
}

void System::Start(const std::string& service) {
  auto& slot = services_[service];
  slot.reset();
  slot = std::make_unique<testing::ChildProcess>(BinaryOf(service), std::vector<std::string>{},
                                                 EnvFor(service));
  int grpc = 0, http = 0;
  if (!slot->WaitForPorts(60s, &grpc, &http))
    throw std::runtime_error(service + " did not start: " + slot->Output());
  grpc_ports_[service] = grpc;
  int status = 0;
  if (!testing::WaitUntil(
          [&] {
            testing::HttpGet(http, "/readyz", &status);
            return status == 200;
          },
          60s)) {
    throw std::runtime_error(service + " never became ready: " + slot->Output());
  }
}

void System::Kill(const std::string& service) {
  auto& p = services_.at(service);
  p->Signal(SIGKILL);
  p->Wait(10s);
}

void System::Publish(std::string_view topic, const std::string& key, const std::string& ce_type,
                     const google::protobuf::MessageLite& value) {
  OutgoingMessage m{std::string(topic), key, value.SerializeAsString(), {}};
  AppendCloudEventHeaders(NewCloudEvent(ce_type, "/integration-test", key), m.headers);
  auto r = producer_->SendSync(m, 30s);
  if (!r.ok) throw std::runtime_error("publish failed: " + r.error);
}

void System::SeedPatient(const std::string& nik, const std::string& ihs) {
  std::string response;
  nlohmann::json body = {{"kind", "patient"}, {"nik", nik}, {"ihs", ihs}};
  if (testing::HttpRequest("POST", sandbox_url_ + "/_sandbox/seed", body.dump(), &response, 10s) /
          100 !=
      2) {
    throw std::runtime_error("sandbox seed failed: " + response);
  }
}

void System::SeedPractitioner(const std::string& nik, const std::string& ihs) {
  std::string response;
  nlohmann::json body = {{"kind", "practitioner"}, {"nik", nik}, {"ihs", ihs}};
  if (testing::HttpRequest("POST", sandbox_url_ + "/_sandbox/seed", body.dump(), &response, 10s) /
          100 !=
      2) {
    throw std::runtime_error("sandbox seed failed: " + response);
  }
}

nlohmann::json System::SandboxResources(const std::string& type) {
  std::string response;
  if (testing::HttpRequest("GET", sandbox_url_ + "/_sandbox/resources?type=" + type, "", &response,
                           10s) != 200)
    return {};
  return nlohmann::json::parse(response, nullptr, false);
}

std::string System::Output(const std::string& service) const {
  return services_.at(service)->Output();
}

}  // namespace klinik::integration
