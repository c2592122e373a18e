// GrpcService implements klinik.v1.ScreeningService: read access to stored screenings and the
// CKG eligibility check. Status codes: malformed request -> INVALID_ARGUMENT; unknown screening
// or patient -> NOT_FOUND; registration unreachable -> UNAVAILABLE (the caller may retry); a
// registration record without a usable birth date -> INTERNAL.
#pragma once

#include <functional>

#include "klinik/storage.h"
#include "klinik/time_util.h"
#include "klinik/v1/screening.grpc.pb.h"
#include "patient_lookup.h"

namespace screening {

class GrpcService final : public klinik::v1::ScreeningService::Service {
 public:
  static constexpr int kDefaultPageSize = 20;
  static constexpr int kMaxPageSize = 100;

  // `db` and `lookup` must outlive the service. `clock` gives "today" for CheckEligibility.
  GrpcService(
      klinik::Database& db, PatientLookup& lookup, int ckg_window_days,
      std::function<klinik::TimePoint()> clock = [] { return klinik::Clock::now(); });

  grpc::Status GetScreening(grpc::ServerContext* context,
                            const klinik::v1::GetScreeningRequest* request,
                            klinik::v1::GetScreeningResponse* response) override;
  grpc::Status ListScreenings(grpc::ServerContext* context,
                              const klinik::v1::ListScreeningsRequest* request,
                              klinik::v1::ListScreeningsResponse* response) override;
  grpc::Status CheckEligibility(grpc::ServerContext* context,
                                const klinik::v1::CheckEligibilityRequest* request,
                                klinik::v1::CheckEligibilityResponse* response) override;

 private:
  klinik::Database& db_;
  PatientLookup& lookup_;
  int ckg_window_days_;
  std::function<klinik::TimePoint()> clock_;
};

// The one mapping of a failed patient lookup to a gRPC status.
[[nodiscard]] grpc::Status LookupFailureStatus(const LookupResult& result);

}  // namespace screening
