#include "grpc_service.h"

#include "eligibility.h"
#include "klinik/grpc.h"
#include "klinik/page_token.h"
#include "store.h"

namespace screening {
namespace {

// ListScreenings pages by (measured_at in Unix ms, screening_id), newest first.
const klinik::PageTokenCodec<int64_t, std::string> kListToken("ScreeningService.ListScreenings");

}  // namespace

grpc::Status LookupFailureStatus(const LookupResult& result) {
  switch (result.status) {
    case LookupStatus::kFound:
      return grpc::Status::OK;
    case LookupStatus::kNotFound:
      return grpc::Status(grpc::NOT_FOUND, "patient not registered");
    case LookupStatus::kUnavailable:
      return grpc::Status(grpc::UNAVAILABLE, "registration service unavailable; retry");
    case LookupStatus::kBadRecord:
      return grpc::Status(grpc::INTERNAL, "registration returned an unusable patient record");
  }
  return grpc::Status(grpc::INTERNAL, "unhandled lookup status");
}

GrpcService::GrpcService(klinik::Database& db, PatientLookup& lookup, int ckg_window_days,
                         std::function<klinik::TimePoint()> clock)
    : db_(db), lookup_(lookup), ckg_window_days_(ckg_window_days), clock_(std::move(clock)) {}

grpc::Status GrpcService::GetScreening(grpc::ServerContext*,
                                       const klinik::v1::GetScreeningRequest* request,
                                       klinik::v1::GetScreeningResponse* response) {
  if (!klinik::IsUuid(request->screening_id())) {
    return grpc::Status(grpc::INVALID_ARGUMENT, "screening_id must be a UUID");
  }
  try {
    auto found =
        db_.Read([&](klinik::Transaction& tx) { return store::Get(tx, request->screening_id()); });
    if (!found) return grpc::Status(grpc::NOT_FOUND, "no screening with this screening_id");
    *response->mutable_screening() = std::move(*found);
    return grpc::Status::OK;
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, "GetScreening");
  }
}

grpc::Status GrpcService::ListScreenings(grpc::ServerContext*,
                                         const klinik::v1::ListScreeningsRequest* request,
                                         klinik::v1::ListScreeningsResponse* response) {
  if (!klinik::IsUuid(request->patient_id())) {
    return grpc::Status(grpc::INVALID_ARGUMENT, "patient_id must be a UUID");
  }
  int size = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  if (size < 1 || size > kMaxPageSize) {
    return grpc::Status(grpc::INVALID_ARGUMENT, "page_size must be 1-100 (0 = 20)");
  }
  std::optional<std::tuple<int64_t, std::string>> token;
  if (grpc::Status refused = kListToken.Parse(request->page_token(), &token); !refused.ok()) {
    return refused;
  }
  std::optional<ListCursor> after;
  if (token) after = ListCursor{std::get<0>(*token), std::move(std::get<1>(*token))};
  try {
    ScreeningPage page = db_.Read([&](klinik::Transaction& tx) {
      return store::List(tx, request->patient_id(), size, after);
    });
    for (auto& s : page.screenings) *response->add_screenings() = std::move(s);
    if (page.next) {
      response->set_next_page_token(
          kListToken.Encode({page.next->measured_at_ms, page.next->screening_id}));
    }
    return grpc::Status::OK;
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, "ListScreenings");
  }
}

grpc::Status GrpcService::CheckEligibility(grpc::ServerContext*,
                                           const klinik::v1::CheckEligibilityRequest* request,
                                           klinik::v1::CheckEligibilityResponse* response) {
  if (!klinik::IsUuid(request->patient_id())) {
    return grpc::Status(grpc::INVALID_ARGUMENT, "patient_id must be a UUID");
  }
  klinik::CivilDate day;
  if (request->date().empty()) {
    day = klinik::ToCivilDate(clock_());  // the contract: empty = the server's UTC date
  } else if (auto parsed = klinik::ParseCivilDate(request->date())) {
    day = *parsed;
  } else {
    return grpc::Status(grpc::INVALID_ARGUMENT, "date must be YYYY-MM-DD");
  }
  LookupResult found = lookup_.ByPatientId(request->patient_id());
  if (found.status != LookupStatus::kFound) return LookupFailureStatus(found);
  const PatientInfo& patient = found.patient;
  if (day < patient.birth_date)
    return grpc::Status(grpc::INVALID_ARGUMENT, "date is before the patient's birth");
  try {
    BirthdayWindow window = BirthdayWindowFor(patient.birth_date, day, ckg_window_days_);
    bool already = db_.Read([&](klinik::Transaction& tx) {
      return store::HasEligibleBetween(tx, patient.patient_id, window.start, window.end);
    });
    Eligibility e = DecideEligibility(patient.birth_date, day, ckg_window_days_, already);
    response->set_eligible(e.eligible);
    response->set_reason(std::string(EligibilityReasonCode(e.reason)));
    if (e.has_window) {
      response->set_window_start(klinik::FormatCivilDate(e.window.start));
      response->set_window_end(klinik::FormatCivilDate(e.window.end));
    }
    return grpc::Status::OK;
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, "CheckEligibility");
  }
}

}  // namespace screening
