// The request-level checks of a SubmitScreening (ids, examiner, time) and the conversion of its
// measurements to domain values. Pure: `now` is passed in.
#pragma once

#include <vector>

#include "klinik/time_util.h"
#include "klinik/v1/screening.pb.h"
#include "measurements.h"

namespace screening {

// Device clocks in villages drift; a measurement may be stamped this far ahead of the server.
inline constexpr std::chrono::hours kFutureTolerance{1};

// Every problem of a withdrawal request: REQUEST_ID_FORMAT, SCREENING_ID_FORMAT,
// PATIENT_ID_FORMAT, CLINIC_ID_FORMAT, WITHDRAWN_BY_FORMAT, REASON_FORMAT.
[[nodiscard]] std::vector<RejectionReason> ValidateWithdrawal(
    const klinik::v1::WithdrawScreening& w);

// Every request-level problem: REQUEST_ID_MISSING, REQUEST_ID_TOO_LONG, SCREENING_ID_FORMAT,
// PATIENT_ID_MISSING, PATIENT_ID_FORMAT, NIK_FORMAT, CLINIC_ID_MISSING, CLINIC_ID_TOO_LONG,
// EXAMINER_ID_FORMAT, MEASURED_AT_MISSING, MEASURED_AT_IN_FUTURE.
[[nodiscard]] std::vector<RejectionReason> ValidateSubmission(
    const klinik::v1::SubmitScreening& submission, klinik::TimePoint now);

[[nodiscard]] MeasurementValues FromProto(const klinik::v1::Measurements& m);

}  // namespace screening
