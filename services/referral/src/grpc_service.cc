#include "grpc_service.h"

#include "klinik/grpc.h"
#include "klinik/page_token.h"
#include "klinik/time_util.h"
#include "referral_facts.h"
#include "store.h"

namespace referral {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
// ListReferrals pages by (requested_at in Unix ms, referral_id).
const klinik::PageTokenCodec<int64_t, std::string> kListToken("ReferralService.ListReferrals");

}  // namespace

grpc::Status GrpcService::GetReferral(grpc::ServerContext*,
                                      const klinik::v1::GetReferralRequest* request,
                                      klinik::v1::GetReferralResponse* response) {
  if (!klinik::IsUuid(request->referral_id())) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "referral_id must be a UUID"};
  }
  try {
    bool found = db_.Read([&](klinik::Transaction& tx) {
      std::optional<Referral> r = store::Load(tx, request->referral_id(), /*for_update=*/false);
      if (!r) return false;
      *response->mutable_referral() = ToProto(*r, store::History(tx, r->referral_id));
      return true;
    });
    if (!found) return {grpc::StatusCode::NOT_FOUND, "no referral has this id"};
    return grpc::Status::OK;
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, "GetReferral");
  }
}

grpc::Status GrpcService::ListReferrals(grpc::ServerContext*,
                                        const klinik::v1::ListReferralsRequest* request,
                                        klinik::v1::ListReferralsResponse* response) {
  store::ListQuery q;
  q.patient_id = request->patient_id();
  q.origin_clinic_id = request->origin_clinic_id();
  q.target_facility_id = request->target_facility_id();
  q.status = static_cast<Status>(request->status());
  if (q.patient_id.empty() && q.origin_clinic_id.empty() && q.target_facility_id.empty()) {
    return {grpc::StatusCode::INVALID_ARGUMENT,
            "set at least one of patient_id, origin_clinic_id, target_facility_id"};
  }
  if (request->status() < 0 || request->status() > klinik::v1::REFERRAL_STATUS_EXPIRED) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "status is not a ReferralStatus"};
  }
  if (request->page_size() < 0 || request->page_size() > kMaxPageSize) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "page_size must be 1-200, or 0 for the default"};
  }
  q.limit = request->page_size() == 0 ? kDefaultPageSize : request->page_size();
  std::optional<std::tuple<int64_t, std::string>> after;
  if (grpc::Status refused = kListToken.Parse(request->page_token(), &after); !refused.ok()) {
    return refused;
  }
  if (after) {
    q.after_requested_at_ms = std::get<0>(*after);
    q.after_referral_id = std::move(std::get<1>(*after));
  }
  try {
    std::vector<Referral> rows =
        db_.Read([&](klinik::Transaction& tx) { return store::List(tx, q); });
    bool more = rows.size() > static_cast<size_t>(q.limit);
    if (more) rows.resize(static_cast<size_t>(q.limit));
    for (const Referral& r : rows) *response->add_referrals() = ToProto(r, {});
    if (more) {
      response->set_next_page_token(kListToken.Encode(
          {klinik::ToUnixMillis(rows.back().requested_at), rows.back().referral_id}));
    }
    return grpc::Status::OK;
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, "ListReferrals");
  }
}

}  // namespace referral
