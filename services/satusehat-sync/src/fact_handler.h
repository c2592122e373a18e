// Consumes the domain facts and turns each one into persisted sync jobs, inside the event's
// inbox/outbox transaction. It never calls SatuSehat: sending is the SyncWorker's, so a slow or
// down API never holds a partition or a database transaction.
//
// A TypedHandler over the four fact topics, one function per case that becomes jobs
// (PatientRegistered, ScreeningCompleted, MedicationDispensed, ReferralCreated and the referral
// endings); every other case, and a case newer than this build, is ignored. A fact whose ce_type
// is not the registry's for the case it holds is a dead letter, not a job, so the ce_type stored
// with a job's source fact can be trusted to say how SyncWorker decodes it.
#pragma once

#include <string_view>

#include "klinik/typed_handler.h"

namespace satusehat_sync {

class FactHandler final : public klinik::TypedHandler {
 public:
  FactHandler();

 private:
  // Msg is a referral fact that ends the referral; its ServiceRequest gets `fhir_status`.
  template <class Msg>
  void OnReferralEnded(int referral_case, std::string_view fhir_status);
};

}  // namespace satusehat_sync
