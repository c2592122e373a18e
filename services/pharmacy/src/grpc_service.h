// GrpcService implements klinik.v1.PharmacyService: read-only lookups over the pharmacy's
// tables. Invalid arguments answer INVALID_ARGUMENT, an item never received NOT_FOUND, a
// database failure UNAVAILABLE (clients retry it).
#pragma once

#include "klinik/storage.h"
#include "klinik/v1/pharmacy.grpc.pb.h"
#include "settings.h"

namespace pharmacy {

class GrpcService final : public klinik::v1::PharmacyService::Service {
 public:
  GrpcService(klinik::Database& db, const Settings& settings) : db_(db), settings_(settings) {}

  grpc::Status GetStock(grpc::ServerContext* context, const klinik::v1::GetStockRequest* request,
                        klinik::v1::GetStockResponse* response) override;
  grpc::Status ListStock(grpc::ServerContext* context, const klinik::v1::ListStockRequest* request,
                         klinik::v1::ListStockResponse* response) override;
  grpc::Status GetStockCard(grpc::ServerContext* context,
                            const klinik::v1::GetStockCardRequest* request,
                            klinik::v1::GetStockCardResponse* response) override;
  grpc::Status ListAlerts(grpc::ServerContext* context,
                          const klinik::v1::ListAlertsRequest* request,
                          klinik::v1::ListAlertsResponse* response) override;
  grpc::Status GetMonthlyReport(grpc::ServerContext* context,
                                const klinik::v1::GetMonthlyReportRequest* request,
                                klinik::v1::GetMonthlyReportResponse* response) override;

 private:
  klinik::Database& db_;
  const Settings& settings_;
};

}  // namespace pharmacy
