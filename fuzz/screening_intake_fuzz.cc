// screening's intake step without Kafka, a database or the registration lookup: bytes →
// ScreeningIntake → ValidateSubmission and the classifier's plausibility checks, then for an
// accepted submission what IntakeHandler::Complete computes (local day, birthday window and
// eligibility, assessment) for a patient made here. Mirrors IntakeHandler::Submit and Problems.
#include <cstddef>
#include <cstdint>

#include <google/protobuf/stubs/logging.h>

#include "classifier.h"
#include "eligibility.h"
#include "fuzz_check.h"
#include "klinik/v1/screening.pb.h"
#include "local_date.h"
#include "submission.h"

namespace {

using namespace screening;

const klinik::TimePoint kNow = klinik::StartOfDay({2026, 1, 15}) + std::chrono::hours(3);
constexpr std::chrono::minutes kWib{7 * 60};

void Complete(const ScreeningClassifier& classifier, const klinik::v1::SubmitScreening& s) {
  klinik::CivilDate day = LocalDate(klinik::FromTimestamp(s.measured_at()), kWib);
  // A patient whose birthday is the screening day, 40 years earlier (or the 1st of the month
  // when that day does not exist then).
  klinik::CivilDate birth =
      klinik::ParseCivilDate(klinik::FormatCivilDate({day.year - 40, day.month, day.day}))
          .value_or(klinik::CivilDate{day.year - 40, day.month, 1});
  const int window = classifier.rules().ckg_window_days;
  BirthdayWindow w = BirthdayWindowFor(birth, day, window);
  FUZZ_CHECK(w.start <= w.end);
  Eligibility eligibility = DecideEligibility(birth, day, window, false);
  MeasurementValues values = FromProto(s.measurements());
  for (klinik::v1::Sex sex : {klinik::v1::SEX_MALE, klinik::v1::SEX_FEMALE}) {
    (void)classifier.Assess(values, eligibility.age_years, sex);
    (void)classifier.Assess(values, 4, sex);  // a child's assessment
  }
  // The stored record's times are written back with ToTimestamp: they must read the same.
  klinik::TimePoint measured_at = klinik::FromTimestamp(s.measured_at());
  FUZZ_CHECK(klinik::FromTimestamp(klinik::ToTimestamp(measured_at)) == measured_at);
}

}  // namespace

// libprotobuf logs every string field with invalid UTF-8 it refuses; ParseFromArray's result
// already says so, and the log would drown the fuzzer's own output.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  klinik::v1::ScreeningIntake intake;
  if (!intake.ParseFromArray(data, static_cast<int>(size)) || !intake.has_submit_screening()) {
    return 0;
  }
  static const ScreeningClassifier classifier{ScreeningRules{}};
  const klinik::v1::SubmitScreening& s = intake.submit_screening();
  std::vector<RejectionReason> reasons = ValidateSubmission(s, kNow);
  for (RejectionReason& r : classifier.Validate(FromProto(s.measurements())))
    reasons.push_back(std::move(r));
  if (reasons.empty()) Complete(classifier, s);
  return 0;
}
