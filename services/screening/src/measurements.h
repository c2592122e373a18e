// What a health worker measured, as plain values the domain can judge without protobuf
// presence checks. An empty optional was not measured (which is not 0). The categorical enums
// are the contract's own (klinik/v1/screening.proto) so no second vocabulary exists.
#pragma once

#include <optional>
#include <string>

#include "klinik/v1/screening.pb.h"

namespace screening {

struct MeasurementValues {
  std::optional<int> systolic_mmhg;
  std::optional<int> diastolic_mmhg;
  std::optional<int> heart_rate_bpm;
  std::optional<double> glucose_mg_dl;
  klinik::v1::GlucoseKind glucose_kind = klinik::v1::GLUCOSE_KIND_UNSPECIFIED;
  std::optional<double> hba1c_percent;
  std::optional<double> weight_kg;
  std::optional<double> height_cm;
  std::optional<double> bmi_kg_m2;  // as given by a device
  std::optional<double> waist_cm;
  std::optional<double> total_cholesterol_mg_dl;
  std::optional<double> uric_acid_mg_dl;
  klinik::v1::SmokingStatus smoking_status = klinik::v1::SMOKING_STATUS_UNSPECIFIED;
  std::optional<bool> tb_symptoms;
  std::optional<bool> mental_health_positive;
  std::optional<bool> danger_signs;
  std::optional<bool> cancer_flag;
};

// Why a submission cannot be accepted; becomes a klinik.v1.Reason on ScreeningRejected.
struct RejectionReason {
  std::string code;     // UPPER_SNAKE, e.g. IMPLAUSIBLE_VALUE
  std::string field;    // request field path, e.g. "measurements.systolic_mmhg"
  std::string message;  // English, never personal data
  bool operator==(const RejectionReason&) const = default;
};

}  // namespace screening
