// PatientLookup over gRPC: klinik.v1.PatientDirectory of the registration service, through the
// platform's retrying channel (UNAVAILABLE is retried inside one call) and a deadline per call.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "klinik/v1/registration.grpc.pb.h"
#include "patient_lookup.h"

namespace screening {

class GrpcPatientLookup final : public PatientLookup {
 public:
  GrpcPatientLookup(const std::string& address, std::chrono::milliseconds timeout);

  LookupResult ByPatientId(std::string_view patient_id) override;
  LookupResult ByNik(std::string_view nik) override;
  // At most kInFlight calls at a time, each with its own deadline.
  std::vector<LookupResult> LookupMany(const std::vector<PatientKey>& keys) override;
  static constexpr size_t kInFlight = 32;

 private:
  std::unique_ptr<klinik::v1::PatientDirectory::Stub> directory_;
  std::chrono::milliseconds timeout_;
};

// The one mapping of PatientDirectory answers to lookup outcomes (exposed for tests).
[[nodiscard]] LookupResult ToLookupResult(const grpc::Status& status,
                                          const klinik::v1::Patient& patient);

}  // namespace screening
