#include "grpc_patient_lookup.h"

#include <condition_variable>
#include <mutex>

#include "klinik/grpc.h"

namespace screening {

LookupResult ToLookupResult(const grpc::Status& status, const klinik::v1::Patient& patient) {
  LookupResult r;
  switch (status.error_code()) {
    case grpc::OK:
      break;
    case grpc::NOT_FOUND:
    // Registration validates ids and NIKs more strictly than this service (province codes);
    // what it calls invalid cannot name a registered patient.
    case grpc::INVALID_ARGUMENT:
      r.status = LookupStatus::kNotFound;
      r.detail = klinik::StatusCodeName(status.error_code());
      return r;
    default:
      // UNAVAILABLE and DEADLINE_EXCEEDED are the expected ones; anything else (INTERNAL,
      // UNIMPLEMENTED during a bad rollout…) is also not the submission's fault, so the
      // message waits rather than being refused.
      r.status = LookupStatus::kUnavailable;
      r.detail = std::string("registration ") + klinik::StatusCodeName(status.error_code()) + ": " +
                 status.error_message();
      return r;
  }
  auto birth = klinik::ParseCivilDate(patient.birth_date());
  if (!birth || patient.patient_id().empty()) {
    r.status = LookupStatus::kBadRecord;
    r.detail = "registration returned a patient without a valid patient_id or birth_date";
    return r;
  }
  r.status = LookupStatus::kFound;
  r.patient = PatientInfo{patient.patient_id(), *birth, patient.sex()};
  return r;
}

GrpcPatientLookup::GrpcPatientLookup(const std::string& address, std::chrono::milliseconds timeout)
    : directory_(klinik::v1::PatientDirectory::NewStub(klinik::MakeClientChannel(address))),
      timeout_(timeout) {}

namespace {

// One lookup RPC within `timeout`: rpc(context, response) calls the stub.
template <class Response, class Rpc>
LookupResult Ask(std::chrono::milliseconds timeout, Rpc rpc) {
  Response response;
  auto context = klinik::ContextWithDeadline(timeout);
  grpc::Status status = rpc(context.get(), &response);
  return ToLookupResult(status, response.patient());
}

}  // namespace

LookupResult GrpcPatientLookup::ByPatientId(std::string_view patient_id) {
  klinik::v1::GetPatientRequest request;
  request.set_patient_id(std::string(patient_id));
  return Ask<klinik::v1::GetPatientResponse>(timeout_, [&](auto* context, auto* response) {
    return directory_->GetPatient(context, request, response);
  });
}

LookupResult GrpcPatientLookup::ByNik(std::string_view nik) {
  klinik::v1::FindPatientByNikRequest request;
  request.set_nik(std::string(nik));
  return Ask<klinik::v1::FindPatientByNikResponse>(timeout_, [&](auto* context, auto* response) {
    return directory_->FindPatientByNik(context, request, response);
  });
}

std::vector<LookupResult> GrpcPatientLookup::LookupMany(const std::vector<PatientKey>& keys) {
  struct Call {
    std::unique_ptr<grpc::ClientContext> context;
    klinik::v1::GetPatientRequest by_id;
    klinik::v1::GetPatientResponse by_id_answer;
    klinik::v1::FindPatientByNikRequest by_nik;
    klinik::v1::FindPatientByNikResponse by_nik_answer;
    grpc::Status status;
  };
  std::vector<Call> calls(keys.size());
  std::mutex mutex;
  std::condition_variable answered;
  size_t done = 0;
  auto finish = [&](size_t i) {
    return [&, i](grpc::Status status) {
      std::lock_guard lock(mutex);
      calls[i].status = std::move(status);
      ++done;
      answered.notify_all();
    };
  };
  for (size_t i = 0; i < keys.size(); ++i) {
    {
      std::unique_lock lock(mutex);
      answered.wait(lock, [&] { return i - done < kInFlight; });
    }
    Call& c = calls[i];
    c.context = klinik::ContextWithDeadline(timeout_);
    if (keys[i].by_nik) {
      c.by_nik.set_nik(keys[i].value);
      directory_->async()->FindPatientByNik(c.context.get(), &c.by_nik, &c.by_nik_answer,
                                            finish(i));
    } else {
      c.by_id.set_patient_id(keys[i].value);
      directory_->async()->GetPatient(c.context.get(), &c.by_id, &c.by_id_answer, finish(i));
    }
  }
  {
    std::unique_lock lock(mutex);
    answered.wait(lock, [&] { return done == keys.size(); });
  }
  std::vector<LookupResult> out;
  out.reserve(keys.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    const Call& c = calls[i];
    out.push_back(ToLookupResult(
        c.status, keys[i].by_nik ? c.by_nik_answer.patient() : c.by_id_answer.patient()));
  }
  return out;
}

}  // namespace screening
