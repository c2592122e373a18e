// referral's intake step without Kafka or a database: bytes → ReferralIntake → NewReferral or
// Command → ValidateRequest/ValidateCommand, then an accepted request opened (and joined into an
// open referral), or an accepted command applied to an open referral of the named patient made
// here, with the facts each step would publish. Mirrors ReferralHandler's intake cases.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "fuzz_check.h"
#include "klinik/v1/referral.pb.h"
#include "referral_facts.h"
#include "referral_lifecycle.h"
#include "referral_validation.h"

namespace {

using namespace referral;

const TimePoint kNow = klinik::StartOfDay({2026, 1, 15}) + std::chrono::hours(3);
constexpr char kReferralId[] = "5d1f0c2e-8a3b-4e6f-9c7d-1a2b3c4d5e6f";

void Publish(const Decision& d) {
  for (const Step& step : d.steps) {
    (void)CeType(step.kind);
    (void)ToFact(step, d.next).SerializeAsString();
  }
  (void)ToProto(d.next, d.steps).SerializeAsString();
}

void Request(const ReferralLifecycle& lifecycle, const NewReferral& request) {
  if (!ValidateRequest(request).empty()) return;
  Decision opened = lifecycle.Open(request, kReferralId);
  FUZZ_CHECK(!opened.refused() && !opened.steps.empty());
  Publish(opened);
  // The same patient asks again for the same reasons: joins the open referral.
  std::optional<JoinPlan> plan = PlanJoin({opened.next}, request.reason_codes);
  FUZZ_CHECK(plan && plan->referral_index == 0);
  Decision joined = lifecycle.Join(opened.next, request, plan->added_reasons);
  FUZZ_CHECK(!joined.refused());
  Publish(joined);
  Publish(lifecycle.CheckTimers(joined.next));
}

void Apply(const ReferralLifecycle& lifecycle, const klinik::v1::ReferralIntake& intake) {
  std::string referral_id;
  Command command = CommandFromProto(intake, &referral_id);
  if (!ValidateCommand(command, referral_id).empty()) return;
  NewReferral original;
  original.request_id = "req-1";
  original.patient_id = command.patient_id;
  original.origin_clinic_id = "klinik-desa-3204152003";
  original.target_facility_id = "puskesmas-3204150";
  original.urgency = Urgency::kRoutine;
  original.reason_codes = {"HYPERTENSION_GRADE_2"};
  original.requested_by = "3204154107850002";
  original.requested_at = kNow - std::chrono::hours(1);
  Decision opened = lifecycle.Open(original, referral_id);
  Decision d = lifecycle.Apply(opened.next, command);
  if (d.refused()) return;
  Publish(d);
  // A second time: refused, or allowed again (nothing may break either way).
  Decision twice = lifecycle.Apply(d.next, command);
  if (!twice.refused()) Publish(twice);
}

}  // namespace

// libprotobuf logs every string field with invalid UTF-8 it refuses; ParseFromArray's result
// already says so, and the log would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  klinik::v1::ReferralIntake intake;
  if (!intake.ParseFromArray(data, static_cast<int>(size))) return 0;
  static const ReferralLifecycle lifecycle(SlaPolicy{}, [] { return kNow; });
  if (intake.kind_case() == klinik::v1::ReferralIntake::KIND_NOT_SET) return 0;
  if (intake.has_request_referral()) {
    Request(lifecycle, FromProto(intake.request_referral()));
  } else {
    Apply(lifecycle, intake);
  }
  return 0;
}
