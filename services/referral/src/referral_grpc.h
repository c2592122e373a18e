// ReferralService: read access to referrals and their history. Maps lookups to gRPC status
// codes in one place (unknown id → NOT_FOUND, bad filter or token → INVALID_ARGUMENT, database
// down → UNAVAILABLE so clients retry).
#pragma once

#include "klinik/storage.h"
#include "klinik/v1/referral.grpc.pb.h"

namespace referral {

class ReferralGrpcService final : public klinik::v1::ReferralService::Service {
 public:
  explicit ReferralGrpcService(klinik::Database& db) : db_(db) {}

  grpc::Status GetReferral(grpc::ServerContext* context,
                           const klinik::v1::GetReferralRequest* request,
                           klinik::v1::GetReferralResponse* response) override;
  grpc::Status ListReferrals(grpc::ServerContext* context,
                             const klinik::v1::ListReferralsRequest* request,
                             klinik::v1::ListReferralsResponse* response) override;

 private:
  klinik::Database& db_;
};

// The opaque page token: the last row's sort key. Exposed for tests.
std::string EncodePageToken(int64_t requested_at_ms, const std::string& referral_id);
bool DecodePageToken(const std::string& token, int64_t* requested_at_ms, std::string* referral_id);

}  // namespace referral
