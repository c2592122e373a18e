// GrpcService implements klinik.v1.ReferralService: read access to referrals and their history.
// Maps lookups to gRPC status codes in one place (unknown id → NOT_FOUND, bad filter or token →
// INVALID_ARGUMENT, storage failures as klinik::StorageErrorStatus maps them: UNAVAILABLE when a
// retry can help).
#pragma once

#include "klinik/storage.h"
#include "klinik/v1/referral.grpc.pb.h"

namespace referral {

class GrpcService final : public klinik::v1::ReferralService::Service {
 public:
  explicit GrpcService(klinik::Database& db) : db_(db) {}

  grpc::Status GetReferral(grpc::ServerContext* context,
                           const klinik::v1::GetReferralRequest* request,
                           klinik::v1::GetReferralResponse* response) override;
  grpc::Status ListReferrals(grpc::ServerContext* context,
                             const klinik::v1::ListReferralsRequest* request,
                             klinik::v1::ListReferralsResponse* response) override;

 private:
  klinik::Database& db_;
};

}  // namespace referral
