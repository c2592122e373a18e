// ScreeningClassifier: turns one screening's measurements into categories, findings (with ILP
// cluster and ICD-10 code) and a referral recommendation, per DOMAIN.md "Adult thresholds" and
// "Referral rule". Pure: no clock, no I/O; every number comes from ScreeningRules.
//
//   screening::ScreeningClassifier classifier(rules);
//   if (auto problems = classifier.Validate(values); !problems.empty()) { /* reject */ }
//   screening::Assessment a = classifier.Assess(values, /*age_years=*/45, klinik::v1::SEX_MALE);
//
// Validate must pass before Assess: Assess assumes plausible values (it never sees a data-entry
// error, so an implausible value can never be classified).
//
// Adult thresholds (blood pressure, BMI category, waist, cholesterol, uric acid) are applied
// from 18 years; children get glucose, the yes/no flags and a computed BMI value only (their
// categories need age- and sex-specific percentiles, which DOMAIN.md does not give).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "klinik/v1/common.pb.h"
#include "klinik/v1/screening.pb.h"
#include "measurements.h"
#include "screening_rules.h"

namespace screening {

inline constexpr int kAdultAge = 18;

struct Classification {
  klinik::v1::BpCategory bp = klinik::v1::BP_CATEGORY_UNSPECIFIED;
  klinik::v1::GlucoseCategory glucose = klinik::v1::GLUCOSE_CATEGORY_UNSPECIFIED;
  std::optional<double> bmi_kg_m2;  // one decimal, given or computed
  bool bmi_computed = false;        // true when bmi_kg_m2 came from weight and height
  klinik::v1::BmiCategory bmi_category = klinik::v1::BMI_CATEGORY_UNSPECIFIED;
  std::optional<bool> central_obesity;
  klinik::v1::CholesterolBand cholesterol = klinik::v1::CHOLESTEROL_BAND_UNSPECIFIED;
  std::optional<bool> uric_acid_high;
};

struct Finding {
  std::string code;     // UPPER_SNAKE, e.g. HYPERTENSION_GRADE_2
  std::string display;  // short Indonesian text
  std::string icd10;    // set exactly when is_diagnosis
  klinik::v1::IlpCluster ilp_cluster = klinik::v1::ILP_CLUSTER_UNSPECIFIED;
  bool is_diagnosis = false;
  bool operator==(const Finding&) const = default;
};

struct ReferralDecision {
  bool recommended = false;
  klinik::v1::Urgency urgency = klinik::v1::URGENCY_UNSPECIFIED;
  std::vector<std::string> reason_codes;  // Finding codes, most severe first
};

struct [[nodiscard]] Assessment {
  Classification classification;
  std::vector<Finding> findings;  // most severe first
  ReferralDecision referral;
};

// The single-measurement classifications, exposed for table-driven tests.
[[nodiscard]] klinik::v1::BpCategory ClassifyBp(int systolic, int diastolic, const BpThresholds& t);
// Category of one glucose value of `kind` (UNSPECIFIED kind: UNSPECIFIED category).
[[nodiscard]] klinik::v1::GlucoseCategory ClassifyGlucose(double mg_dl,
                                                          klinik::v1::GlucoseKind kind,
                                                          const GlucoseThresholds& t);
[[nodiscard]] klinik::v1::GlucoseCategory ClassifyHba1c(double percent, const GlucoseThresholds& t);
// weight / (height in m)², rounded half away from zero to one decimal (the Kemenkes table's
// precision).
[[nodiscard]] double ComputeBmi(double weight_kg, double height_cm);
// Rounds to one decimal first, so a device's 25.04 is judged as 25.0.
[[nodiscard]] klinik::v1::BmiCategory ClassifyBmi(double bmi_kg_m2, const BmiThresholds& t);
// nullopt when the sex is not given.
[[nodiscard]] std::optional<bool> IsCentralObesity(double waist_cm, klinik::v1::Sex sex,
                                                   const WaistThresholds& t);
[[nodiscard]] klinik::v1::CholesterolBand ClassifyCholesterol(double mg_dl,
                                                              const LipidThresholds& t);
[[nodiscard]] std::optional<bool> IsUricAcidHigh(double mg_dl, klinik::v1::Sex sex,
                                                 const LipidThresholds& t);

class ScreeningClassifier {
 public:
  explicit ScreeningClassifier(ScreeningRules rules) : rules_(rules) {}

  // Every reason the measurements cannot be accepted (empty = acceptable): NO_MEASUREMENTS,
  // GLUCOSE_KIND_MISSING, IMPLAUSIBLE_VALUE with the field named. All problems are reported at
  // once so the health worker can fix them in one go.
  [[nodiscard]] std::vector<RejectionReason> Validate(const MeasurementValues& values) const;

  [[nodiscard]] Assessment Assess(const MeasurementValues& values, int age_years,
                                  klinik::v1::Sex sex) const;

  [[nodiscard]] const ScreeningRules& rules() const { return rules_; }

 private:
  [[nodiscard]] ReferralDecision DecideReferral(const MeasurementValues& values, bool adult,
                                                const Classification& c,
                                                const std::vector<Finding>& findings) const;

  ScreeningRules rules_;
};

}  // namespace screening
