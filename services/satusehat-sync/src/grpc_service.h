// GrpcService implements klinik.v1.SyncStatus for operators: the jobs of a fact or a patient,
// the failed jobs page by page, and RetrySync to queue a failed or suppressed job again.
#pragma once

#include "klinik/storage.h"
#include "klinik/v1/satusehat.grpc.pb.h"

namespace satusehat_sync {

class GrpcService final : public klinik::v1::SyncStatus::Service {
 public:
  explicit GrpcService(klinik::Database& db) : db_(db) {}

  grpc::Status GetSyncStatus(grpc::ServerContext* ctx, const klinik::v1::GetSyncStatusRequest* req,
                             klinik::v1::GetSyncStatusResponse* resp) override;
  grpc::Status ListSyncFailures(grpc::ServerContext* ctx,
                                const klinik::v1::ListSyncFailuresRequest* req,
                                klinik::v1::ListSyncFailuresResponse* resp) override;
  grpc::Status RetrySync(grpc::ServerContext* ctx, const klinik::v1::RetrySyncRequest* req,
                         klinik::v1::RetrySyncResponse* resp) override;

 private:
  klinik::Database& db_;
};

}  // namespace satusehat_sync
