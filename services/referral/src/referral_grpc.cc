#include "referral_grpc.h"

#include "klinik/log.h"
#include "klinik/time_util.h"
#include "referral_facts.h"
#include "referral_store.h"

namespace referral {
namespace {

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr char kHex[] = "0123456789abcdef";

grpc::Status Unavailable(const klinik::StorageError& e) {
  klinik::log::Warn("referral lookup failed", {{"error", e.what()}});
  return {grpc::StatusCode::UNAVAILABLE, "database unavailable; retry"};
}

}  // namespace

std::string EncodePageToken(int64_t requested_at_ms, const std::string& referral_id) {
  std::string plain = "r1:" + std::to_string(requested_at_ms) + ":" + referral_id;
  std::string out;
  for (unsigned char c : plain) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool DecodePageToken(const std::string& token, int64_t* requested_at_ms, std::string* referral_id) {
  if (token.size() % 2 != 0 || token.size() > 512) return false;
  std::string plain;
  for (size_t i = 0; i < token.size(); i += 2) {
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = nibble(token[i]), lo = nibble(token[i + 1]);
    if (hi < 0 || lo < 0) return false;
    plain += static_cast<char>(hi * 16 + lo);
  }
  if (plain.rfind("r1:", 0) != 0) return false;
  size_t colon = plain.find(':', 3);
  if (colon == std::string::npos) return false;
  try {
    size_t used = 0;
    *requested_at_ms = std::stoll(plain.substr(3, colon - 3), &used);
    if (used != colon - 3) return false;
  } catch (const std::exception&) {
    return false;
  }
  *referral_id = plain.substr(colon + 1);
  return klinik::IsUuid(*referral_id);
}

grpc::Status ReferralGrpcService::GetReferral(grpc::ServerContext*,
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
    return Unavailable(e);
  }
}

grpc::Status ReferralGrpcService::ListReferrals(grpc::ServerContext*,
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
  if (!request->page_token().empty()) {
    int64_t ms = 0;
    if (!DecodePageToken(request->page_token(), &ms, &q.after_referral_id)) {
      return {grpc::StatusCode::INVALID_ARGUMENT, "page_token is not one this service issued"};
    }
    q.after_requested_at_ms = ms;
  }
  try {
    std::vector<Referral> rows =
        db_.Read([&](klinik::Transaction& tx) { return store::List(tx, q); });
    bool more = rows.size() > static_cast<size_t>(q.limit);
    if (more) rows.resize(static_cast<size_t>(q.limit));
    for (const Referral& r : rows) *response->add_referrals() = ToProto(r, {});
    if (more) {
      response->set_next_page_token(
          EncodePageToken(klinik::ToUnixMillis(rows.back().requested_at), rows.back().referral_id));
    }
    return grpc::Status::OK;
  } catch (const klinik::StorageError& e) {
    return Unavailable(e);
  }
}

}  // namespace referral
