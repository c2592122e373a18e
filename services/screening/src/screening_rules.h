// The numbers the screening domain decides with (DOMAIN.md, "Adult thresholds" and "Referral
// rule"). Every default below is DOMAIN.md's value; the ones DOMAIN.md marks as unconfirmed
// (cholesterol, uric acid, the whole referral rule, the CKG window) are read from KLINIK_*
// configuration by Settings::FromConfig (settings.h), so a guideline update is a
// deployment change, not a code change.
//
// Conventions that every rule relies on:
// - "from" thresholds are inclusive lower bounds (value >= from); "above" thresholds are
//   exclusive (value > above), exactly as the guideline tables are written.
// - BMI is judged in tenths of kg/m² (see ClassifyBmi): the Kemenkes table is written with one
//   decimal, so 25.0 is normal and 25.1 overweight, with no value falling between them.
#pragma once

namespace screening {

// Blood pressure, mmHg (national hypertension guideline 2021). Each category starts at its
// systolic OR diastolic value; the higher category of the two numbers wins.
struct BpThresholds {
  int normal_systolic_from = 120;
  int normal_diastolic_from = 80;
  int high_normal_systolic_from = 130;
  int high_normal_diastolic_from = 85;
  int grade1_systolic_from = 140;
  int grade1_diastolic_from = 90;
  int grade2_systolic_from = 160;
  int grade2_diastolic_from = 100;
  int grade3_systolic_from = 180;
  int grade3_diastolic_from = 110;
};

// Glucose (PERKENI), mg/dL, and HbA1c in %.
struct GlucoseThresholds {
  double fasting_prediabetes_from = 100;
  double fasting_diabetes_from = 126;
  double random_diabetes_suspected_from = 200;
  double two_hour_prediabetes_from = 140;
  double two_hour_diabetes_from = 200;
  double hba1c_prediabetes_from = 5.7;
  double hba1c_diabetes_from = 6.5;
};

// Kemenkes adult BMI cut-offs, kg/m², one decimal.
struct BmiThresholds {
  double underweight_from = 17.0;  // below: severely underweight
  double normal_from = 18.5;
  double normal_to = 25.0;      // inclusive: 25.0 is normal
  double overweight_to = 27.0;  // inclusive: 27.0 is overweight, 27.1 obese
};

// Waist circumference above which central obesity is found, cm.
struct WaistThresholds {
  double male_above = 90;
  double female_above = 80;
};

// Total cholesterol (mg/dL) and uric acid (mg/dL): not confirmed Kemenkes cut-offs.
struct LipidThresholds {
  double cholesterol_borderline_from = 200;
  double cholesterol_high_from = 240;
  double uric_acid_male_above = 7.0;
  double uric_acid_female_above = 6.0;
};

// Outside these ranges a value is a data-entry error: rejected, never classified. The first
// seven come from DOMAIN.md; heart rate, HbA1c, BMI, cholesterol and uric acid ranges are this
// service's own (wide physiological limits, chosen to catch unit and typing mistakes only).
struct PlausibleRanges {
  int systolic_min = 50, systolic_max = 300;
  int diastolic_min = 30, diastolic_max = 200;
  double glucose_min = 20, glucose_max = 1000;
  double height_min = 30, height_max = 250;
  double weight_min = 1, weight_max = 300;
  double waist_min = 30, waist_max = 250;
  int heart_rate_min = 20, heart_rate_max = 300;
  double hba1c_min = 3, hba1c_max = 20;
  double bmi_min = 5, bmi_max = 100;
  double cholesterol_min = 40, cholesterol_max = 1000;
  double uric_acid_min = 0.5, uric_acid_max = 30;
};

// When to recommend the puskesmas doctor (DOMAIN.md "Referral rule"; the guideline's numeric
// table was never published, so all of it is configuration).
struct ReferralRule {
  // Routine: hypertension grade 1 or higher (isolated systolic included).
  int systolic_from = 140;
  int diastolic_from = 90;
  // Routine: GDS >= 200 or fasting >= 126 (a 2-hour or HbA1c result in the diabetic range too).
  double random_glucose_from = 200;
  double fasting_glucose_from = 126;
  // Routine: BMI above this together with another finding.
  double bmi_above = 27.0;
  // Urgent: systolic >= or diastolic >= these, or a plasma glucose >= urgent_glucose_from, or a
  // danger sign.
  int urgent_systolic_from = 180;
  int urgent_diastolic_from = 110;
  double urgent_glucose_from = 300;
};

struct ScreeningRules {
  BpThresholds bp;
  GlucoseThresholds glucose;
  BmiThresholds bmi;
  WaistThresholds waist;
  LipidThresholds lipids;
  PlausibleRanges plausible;
  ReferralRule referral;
  // CKG birthday window: from the birthday up to this many days after it, inclusive.
  int ckg_window_days = 30;
};

}  // namespace screening
