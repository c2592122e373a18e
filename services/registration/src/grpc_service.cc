#include "grpc_service.h"

#include "klinik/grpc.h"
#include "klinik/page_token.h"
#include "nik.h"
#include "proto_mapping.h"
#include "registrar.h"
#include "registration_validator.h"
#include "store.h"

namespace registration {
namespace {

// SearchPatients pages by (name key, patient id).
const klinik::PageTokenCodec<std::string, std::string> kSearchToken(
    "PatientDirectory.SearchPatients");

enum class Lookup { kOk, kNotFound, kInvalidArgument, kCancelled, kDeadlineExceeded };

// The one mapping from lookup outcomes to gRPC status codes (storage failures:
// klinik::StorageErrorStatus).
grpc::Status LookupStatus(Lookup outcome, const std::string& message = {}) {
  switch (outcome) {
    case Lookup::kOk:
      return grpc::Status::OK;
    case Lookup::kNotFound:
      return {grpc::StatusCode::NOT_FOUND, message};
    case Lookup::kInvalidArgument:
      return {grpc::StatusCode::INVALID_ARGUMENT, message};
    case Lookup::kCancelled:
      return {grpc::StatusCode::CANCELLED, "the caller cancelled"};
    case Lookup::kDeadlineExceeded:
      return {grpc::StatusCode::DEADLINE_EXCEEDED, "deadline passed"};
  }
  return {grpc::StatusCode::INTERNAL, "internal error"};
}

// Nothing is started for a caller that has gone or whose deadline has passed.
std::optional<Lookup> Abandoned(grpc::ServerContext* context) {
  if (context->IsCancelled()) return Lookup::kCancelled;
  if (std::chrono::system_clock::now() >= context->deadline()) return Lookup::kDeadlineExceeded;
  return std::nullopt;
}

// Runs a read against the register; storage failures become statuses, never exceptions.
template <typename Fn>
grpc::Status WithRegister(klinik::Database& db, grpc::ServerContext* context,
                          std::string_view method, Fn&& fn) {
  if (auto gone = Abandoned(context)) return LookupStatus(*gone);
  try {
    grpc::Status status = db.Read([&](klinik::Transaction& tx) { return fn(tx); });
    if (auto gone = Abandoned(context); gone && status.ok()) return LookupStatus(*gone);
    return status;
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, method);
  }
}

std::string NikProblem(const NikCheck& check) {
  switch (check.broken.front()) {
    case NikRule::kFormat:
      return "nik must be exactly 16 digits";
    case NikRule::kProvince:
      return "nik: province code is not one of the 38 provinces";
    case NikRule::kDay:
      return "nik: day of birth must be 01-31 or 41-71";
    case NikRule::kMonth:
      return "nik: month of birth must be 01-12";
    case NikRule::kSerial:
      return "nik: serial 0000 is never issued";
  }
  return "nik is malformed";
}

bool HasControlCharacter(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

}  // namespace

grpc::Status GrpcService::GetPatient(grpc::ServerContext* context,
                                     const klinik::v1::GetPatientRequest* request,
                                     klinik::v1::GetPatientResponse* response) {
  if (!klinik::IsUuid(request->patient_id())) {
    return LookupStatus(Lookup::kInvalidArgument, "patient_id must be a UUID");
  }
  return WithRegister(db_, context, "GetPatient", [&](klinik::Transaction& tx) {
    auto patient = store::FindById(tx, request->patient_id());
    if (!patient) return LookupStatus(Lookup::kNotFound, "no patient has this id");
    ToProto(*patient, response->mutable_patient());
    return LookupStatus(Lookup::kOk);
  });
}

grpc::Status GrpcService::FindPatientByNik(grpc::ServerContext* context,
                                           const klinik::v1::FindPatientByNikRequest* request,
                                           klinik::v1::FindPatientByNikResponse* response) {
  NikCheck check = CheckNik(request->nik());
  if (!check.valid()) return LookupStatus(Lookup::kInvalidArgument, NikProblem(check));
  return WithRegister(db_, context, "FindPatientByNik", [&](klinik::Transaction& tx) {
    auto patient = store::FindByNik(tx, request->nik());
    if (!patient) return LookupStatus(Lookup::kNotFound, "no patient is registered with this NIK");
    ToProto(*patient, response->mutable_patient());
    return LookupStatus(Lookup::kOk);
  });
}

grpc::Status GrpcService::SearchPatients(grpc::ServerContext* context,
                                         const klinik::v1::SearchPatientsRequest* request,
                                         klinik::v1::SearchPatientsResponse* response) {
  if (request->village_code().empty() && request->clinic_id().empty()) {
    return LookupStatus(Lookup::kInvalidArgument, "set village_code or clinic_id (or both)");
  }
  if (!request->village_code().empty() && !IsVillageCode(request->village_code())) {
    return LookupStatus(Lookup::kInvalidArgument,
                        "village_code must be a Kemendagri code PP.KK.CC.VVVV");
  }
  if (request->clinic_id().size() > 64 || HasControlCharacter(request->clinic_id())) {
    return LookupStatus(Lookup::kInvalidArgument,
                        "clinic_id must be at most 64 printable characters");
  }
  if (request->name_prefix().size() > 200 || HasControlCharacter(request->name_prefix())) {
    return LookupStatus(Lookup::kInvalidArgument,
                        "name_prefix must be at most 200 bytes without control characters");
  }
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return LookupStatus(Lookup::kInvalidArgument, "page_size must be 0 (default 50) to 500");
  }
  SearchQuery query;
  query.village_code = request->village_code();
  query.clinic_id = request->clinic_id();
  query.name_prefix = NameKey(request->name_prefix());
  int page_size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  query.limit = page_size + 1;  // one more tells whether another page exists
  std::optional<std::tuple<std::string, std::string>> after;
  if (grpc::Status refused = kSearchToken.Parse(request->page_token(), &after); !refused.ok()) {
    return refused;
  }
  if (after)
    query.after = SearchKey{std::move(std::get<0>(*after)), std::move(std::get<1>(*after))};
  return WithRegister(db_, context, "SearchPatients", [&](klinik::Transaction& tx) {
    std::vector<SearchRow> rows = store::Search(tx, query);
    size_t shown = std::min(rows.size(), static_cast<size_t>(page_size));
    for (size_t i = 0; i < shown; ++i) {
      if (context->IsCancelled()) return LookupStatus(Lookup::kCancelled);
      ToProto(rows[i].patient, response->add_patients());
    }
    if (rows.size() > shown) {
      response->set_next_page_token(
          kSearchToken.Encode({rows[shown - 1].name_key, rows[shown - 1].patient.patient_id}));
    }
    return LookupStatus(Lookup::kOk);
  });
}

}  // namespace registration
