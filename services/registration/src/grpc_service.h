// GrpcService implements klinik.v1.PatientDirectory: read access to the register for other services and apps. Responses
// carry NIK and name (an internal, ACL-protected API); logs never do. Lookup outcomes map to
// status codes in one place (grpc_service.cc, LookupStatus): unknown -> NOT_FOUND, malformed
// input -> INVALID_ARGUMENT, database down -> UNAVAILABLE, deadline passed -> DEADLINE_EXCEEDED.
#pragma once

#include "klinik/storage.h"
#include "klinik/v1/registration.grpc.pb.h"

namespace registration {

class GrpcService final : public klinik::v1::PatientDirectory::Service {
 public:
  static constexpr int kDefaultPageSize = 50;
  static constexpr int kMaxPageSize = 500;

  explicit GrpcService(klinik::Database& db) : db_(db) {}

  grpc::Status GetPatient(grpc::ServerContext* context,
                          const klinik::v1::GetPatientRequest* request,
                          klinik::v1::GetPatientResponse* response) override;
  grpc::Status FindPatientByNik(grpc::ServerContext* context,
                                const klinik::v1::FindPatientByNikRequest* request,
                                klinik::v1::FindPatientByNikResponse* response) override;
  grpc::Status SearchPatients(grpc::ServerContext* context,
                              const klinik::v1::SearchPatientsRequest* request,
                              klinik::v1::SearchPatientsResponse* response) override;

 private:
  klinik::Database& db_;
};

}  // namespace registration
