// Helpers shared by the pharmacy's component and concurrency tests: a running pharmacy process
// on its own topics, intake builders, and readers of the facts it published.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "klinik/kafka.h"
#include "klinik/v1/pharmacy.grpc.pb.h"
#include "klinik/v1/pharmacy.pb.h"
#include "test_infra.h"

namespace pharmacy::testing {

inline constexpr const char* kStaffNik = "3201010101010001";

struct Fact {
  std::string ce_type;
  std::string ce_id;
  std::string key;
  klinik::v1::PharmacyEvent event;
};

// Topics, database and environment for one test (or one suite of processes sharing them).
class PharmacyWorld {
 public:
  // backend: "sqlite" or "postgres".
  explicit PharmacyWorld(const std::string& backend, int partitions = 3);

  std::map<std::string, std::string> Env(std::map<std::string, std::string> extra = {}) const;
  std::unique_ptr<klinik::testing::ChildProcess> Start(
      std::map<std::string, std::string> extra = {}) const;

  void Send(const std::string& key, const klinik::v1::PharmacyIntake& intake,
            const std::string& ce_id = {});
  // Every fact on the output topic so far (reads for up to `timeout` or until `at_least` arrived).
  std::vector<Fact> Facts(size_t at_least, std::chrono::milliseconds timeout) const;
  // Waits until a fact with this request_id and ce_type suffix exists; returns all facts then.
  std::vector<Fact> WaitForFact(const std::string& request_id, const std::string& type_suffix,
                                std::chrono::milliseconds timeout) const;

  const std::string& input() const { return input_; }
  const std::string& output() const { return output_; }
  const std::string& url() const { return url_; }

 private:
  std::string input_, output_, url_, group_;
  std::unique_ptr<klinik::Producer> producer_;
};

std::string RequestIdOf(const klinik::v1::PharmacyEvent& e);

klinik::v1::PharmacyIntake Receive(const std::string& request_id, const std::string& clinic,
                                   const std::string& item, const std::string& lot,
                                   const std::string& expiry, int64_t quantity);
klinik::v1::PharmacyIntake Dispense(const std::string& request_id, const std::string& clinic,
                                    const std::vector<std::pair<std::string, int64_t>>& lines);
klinik::v1::PharmacyIntake ReorderLevel(const std::string& request_id, const std::string& clinic,
                                        const std::string& item, int64_t level);

std::unique_ptr<klinik::v1::PharmacyService::Stub> Client(int grpc_port);

// "YYYY-MM-DD" `days` from today (UTC).
std::string DaysFromToday(int days);

}  // namespace pharmacy::testing
