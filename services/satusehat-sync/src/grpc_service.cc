#include "grpc_service.h"

#include "klinik/grpc.h"
#include "klinik/page_token.h"
#include "klinik/time_util.h"
#include "store.h"

namespace satusehat_sync {
namespace {

// A storage failure becomes the platform's status for it.
template <typename Fn>
grpc::Status Guard(const char* method, Fn&& fn) {
  try {
    return fn();
  } catch (const klinik::StorageError& e) {
    return klinik::StorageErrorStatus(e, method);
  }
}

// ListSyncFailures pages by (updated_at in Unix ms, job_id), newest first.
const klinik::PageTokenCodec<int64_t, std::string> kFailuresToken("SyncStatus.ListSyncFailures");

}  // namespace

grpc::Status GrpcService::GetSyncStatus(grpc::ServerContext*,
                                        const klinik::v1::GetSyncStatusRequest* req,
                                        klinik::v1::GetSyncStatusResponse* resp) {
  using Req = klinik::v1::GetSyncStatusRequest;
  if (req->selector_case() == Req::SELECTOR_NOT_SET) {
    return {grpc::StatusCode::INVALID_ARGUMENT, "set source_event_id or patient_id"};
  }
  const std::string& id =
      req->selector_case() == Req::kSourceEventId ? req->source_event_id() : req->patient_id();
  if (!klinik::IsUuid(id)) return {grpc::StatusCode::INVALID_ARGUMENT, "the id must be a UUID"};
  return Guard("GetSyncStatus", [&] {
    auto jobs = db_.Read([&](klinik::Transaction& tx) {
      return req->selector_case() == Req::kSourceEventId ? store::BySource(tx, id)
                                                         : store::ByPatient(tx, id);
    });
    for (const auto& j : jobs) *resp->add_jobs() = j.ToProto();
    return grpc::Status::OK;
  });
}

grpc::Status GrpcService::ListSyncFailures(grpc::ServerContext*,
                                           const klinik::v1::ListSyncFailuresRequest* req,
                                           klinik::v1::ListSyncFailuresResponse* resp) {
  int size = req->page_size() == 0 ? 100 : req->page_size();
  if (size < 1 || size > 500)
    return {grpc::StatusCode::INVALID_ARGUMENT, "page_size must be 1-500"};
  std::optional<std::tuple<int64_t, std::string>> token;
  if (grpc::Status refused = kFailuresToken.Parse(req->page_token(), &token); !refused.ok()) {
    return refused;
  }
  std::optional<std::pair<int64_t, std::string>> after;
  if (token) after.emplace(std::get<0>(*token), std::move(std::get<1>(*token)));
  return Guard("ListSyncFailures", [&] {
    auto jobs =
        db_.Read([&](klinik::Transaction& tx) { return store::Failures(tx, size + 1, after); });
    bool more = static_cast<int>(jobs.size()) > size;
    if (more) jobs.resize(static_cast<size_t>(size));
    for (const auto& j : jobs) *resp->add_jobs() = j.ToProto();
    if (more)
      resp->set_next_page_token(
          kFailuresToken.Encode({jobs.back().updated_at, jobs.back().job_id}));
    return grpc::Status::OK;
  });
}

grpc::Status GrpcService::RetrySync(grpc::ServerContext*, const klinik::v1::RetrySyncRequest* req,
                                    klinik::v1::RetrySyncResponse* resp) {
  if (!klinik::IsUuid(req->job_id()))
    return {grpc::StatusCode::INVALID_ARGUMENT, "job_id must be a UUID"};
  return Guard("RetrySync", [&] {
    enum class Result { kUnknown, kWrongStatus, kQueued };
    std::optional<JobRecord> job;
    Result result = db_.InTransaction([&](klinik::Transaction& tx) {
      if (!store::Get(tx, req->job_id())) return Result::kUnknown;
      if (!store::Requeue(tx, req->job_id(), klinik::Clock::now())) return Result::kWrongStatus;
      job = store::Get(tx, req->job_id());
      return Result::kQueued;
    });
    if (result == Result::kUnknown) return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such job");
    if (result == Result::kWrongStatus) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          "only a failed or suppressed job can be retried");
    }
    *resp->mutable_job() = job->ToProto();
    return grpc::Status::OK;
  });
}

}  // namespace satusehat_sync
