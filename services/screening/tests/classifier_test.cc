// ScreeningClassifier against DOMAIN.md "Adult thresholds" and "Referral rule": each side of
// every boundary, by table.
#include "classifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace screening {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;
using namespace klinik::v1;

const ScreeningRules kRules{};

// ---- blood pressure ------------------------------------------------------------------------

struct BpCase {
  int systolic, diastolic;
  BpCategory expected;
};

class BpBoundary : public ::testing::TestWithParam<BpCase> {};

TEST_P(BpBoundary, HigherOfTheTwoNumbersWithIsolatedSystolic) {
  const BpCase& c = GetParam();
  EXPECT_EQ(ClassifyBp(c.systolic, c.diastolic, kRules.bp), c.expected)
      << c.systolic << "/" << c.diastolic;
}

INSTANTIATE_TEST_SUITE_P(
    Guideline2021, BpBoundary,
    ::testing::Values(BpCase{119, 79, BP_CATEGORY_OPTIMAL}, BpCase{120, 79, BP_CATEGORY_NORMAL},
                      BpCase{119, 80, BP_CATEGORY_NORMAL}, BpCase{129, 84, BP_CATEGORY_NORMAL},
                      BpCase{130, 84, BP_CATEGORY_HIGH_NORMAL},
                      BpCase{129, 85, BP_CATEGORY_HIGH_NORMAL},
                      BpCase{139, 89, BP_CATEGORY_HIGH_NORMAL},
                      // 140 with a diastolic below 90 is the isolated-systolic row.
                      BpCase{140, 89, BP_CATEGORY_ISOLATED_SYSTOLIC},
                      BpCase{139, 90, BP_CATEGORY_HYPERTENSION_GRADE_1},
                      BpCase{140, 90, BP_CATEGORY_HYPERTENSION_GRADE_1},
                      BpCase{159, 99, BP_CATEGORY_HYPERTENSION_GRADE_1},
                      BpCase{160, 99, BP_CATEGORY_HYPERTENSION_GRADE_2},
                      BpCase{159, 100, BP_CATEGORY_HYPERTENSION_GRADE_2},
                      BpCase{179, 109, BP_CATEGORY_HYPERTENSION_GRADE_2},
                      BpCase{180, 109, BP_CATEGORY_HYPERTENSION_GRADE_3},
                      BpCase{179, 110, BP_CATEGORY_HYPERTENSION_GRADE_3},
                      BpCase{130, 95, BP_CATEGORY_HYPERTENSION_GRADE_1},
                      BpCase{120, 110, BP_CATEGORY_HYPERTENSION_GRADE_3},
                      BpCase{185, 85, BP_CATEGORY_ISOLATED_SYSTOLIC},
                      BpCase{165, 89, BP_CATEGORY_ISOLATED_SYSTOLIC},
                      BpCase{139, 70, BP_CATEGORY_HIGH_NORMAL}));

// ---- glucose ---------------------------------------------------------------------------------

struct GlucoseCase {
  double value;
  GlucoseKind kind;
  GlucoseCategory expected;
};

class GlucoseBoundary : public ::testing::TestWithParam<GlucoseCase> {};

TEST_P(GlucoseBoundary, ByKind) {
  const GlucoseCase& c = GetParam();
  EXPECT_EQ(ClassifyGlucose(c.value, c.kind, kRules.glucose), c.expected)
      << c.value << " " << GlucoseKind_Name(c.kind);
}

INSTANTIATE_TEST_SUITE_P(
    Perkeni, GlucoseBoundary,
    ::testing::Values(
        GlucoseCase{99.9, GLUCOSE_KIND_FASTING, GLUCOSE_CATEGORY_NORMAL},
        GlucoseCase{100, GLUCOSE_KIND_FASTING, GLUCOSE_CATEGORY_PREDIABETES},
        GlucoseCase{125.9, GLUCOSE_KIND_FASTING, GLUCOSE_CATEGORY_PREDIABETES},
        GlucoseCase{126, GLUCOSE_KIND_FASTING, GLUCOSE_CATEGORY_DIABETES},
        GlucoseCase{139, GLUCOSE_KIND_TWO_HOUR_POST_LOAD, GLUCOSE_CATEGORY_NORMAL},
        GlucoseCase{140, GLUCOSE_KIND_TWO_HOUR_POST_LOAD, GLUCOSE_CATEGORY_PREDIABETES},
        GlucoseCase{199.9, GLUCOSE_KIND_TWO_HOUR_POST_LOAD, GLUCOSE_CATEGORY_PREDIABETES},
        GlucoseCase{200, GLUCOSE_KIND_TWO_HOUR_POST_LOAD, GLUCOSE_CATEGORY_DIABETES},
        // A random value has one cut-off; 100, 126 and 140 mean nothing for it.
        GlucoseCase{140, GLUCOSE_KIND_RANDOM, GLUCOSE_CATEGORY_NORMAL},
        GlucoseCase{199.9, GLUCOSE_KIND_RANDOM, GLUCOSE_CATEGORY_NORMAL},
        GlucoseCase{200, GLUCOSE_KIND_RANDOM, GLUCOSE_CATEGORY_DIABETES_SUSPECTED},
        GlucoseCase{126, GLUCOSE_KIND_UNSPECIFIED, GLUCOSE_CATEGORY_UNSPECIFIED}));

struct Hba1cCase {
  double percent;
  GlucoseCategory expected;
};

class Hba1cBoundary : public ::testing::TestWithParam<Hba1cCase> {};

TEST_P(Hba1cBoundary, Perkeni) {
  EXPECT_EQ(ClassifyHba1c(GetParam().percent, kRules.glucose), GetParam().expected)
      << GetParam().percent;
}

INSTANTIATE_TEST_SUITE_P(Perkeni, Hba1cBoundary,
                         ::testing::Values(Hba1cCase{5.6, GLUCOSE_CATEGORY_NORMAL},
                                           Hba1cCase{5.7, GLUCOSE_CATEGORY_PREDIABETES},
                                           Hba1cCase{6.4, GLUCOSE_CATEGORY_PREDIABETES},
                                           Hba1cCase{6.5, GLUCOSE_CATEGORY_DIABETES}));

TEST(GlucoseAssessment, HbA1cAndGlucoseTakeTheWorseCategory) {
  ScreeningClassifier classifier(kRules);
  MeasurementValues m;
  m.glucose_mg_dl = 250;
  m.glucose_kind = GLUCOSE_KIND_RANDOM;
  m.hba1c_percent = 6.5;
  EXPECT_EQ(classifier.Assess(m, 40, SEX_MALE).classification.glucose, GLUCOSE_CATEGORY_DIABETES);
  m.glucose_mg_dl = 90;
  m.glucose_kind = GLUCOSE_KIND_FASTING;
  m.hba1c_percent = 6.0;
  EXPECT_EQ(classifier.Assess(m, 40, SEX_MALE).classification.glucose,
            GLUCOSE_CATEGORY_PREDIABETES);
}

// ---- BMI -------------------------------------------------------------------------------------

struct BmiCase {
  double bmi;
  BmiCategory expected;
};

class BmiBoundary : public ::testing::TestWithParam<BmiCase> {};

TEST_P(BmiBoundary, KemenkesEdges) {
  EXPECT_EQ(ClassifyBmi(GetParam().bmi, kRules.bmi), GetParam().expected) << GetParam().bmi;
}

INSTANTIATE_TEST_SUITE_P(
    Kemenkes, BmiBoundary,
    ::testing::Values(BmiCase{16.9, BMI_CATEGORY_SEVERELY_UNDERWEIGHT},
                      BmiCase{17.0, BMI_CATEGORY_UNDERWEIGHT},
                      BmiCase{18.4, BMI_CATEGORY_UNDERWEIGHT}, BmiCase{18.5, BMI_CATEGORY_NORMAL},
                      BmiCase{25.0, BMI_CATEGORY_NORMAL},
                      // A device's second decimal is rounded away: 25.04 is 25.0, 25.05 is 25.1.
                      BmiCase{25.04, BMI_CATEGORY_NORMAL}, BmiCase{25.05, BMI_CATEGORY_OVERWEIGHT},
                      BmiCase{25.1, BMI_CATEGORY_OVERWEIGHT},
                      BmiCase{27.0, BMI_CATEGORY_OVERWEIGHT}, BmiCase{27.1, BMI_CATEGORY_OBESE},
                      BmiCase{16.95, BMI_CATEGORY_UNDERWEIGHT},
                      BmiCase{18.44, BMI_CATEGORY_UNDERWEIGHT}));

struct ComputedBmiCase {
  double weight_kg, height_cm, bmi;
  BmiCategory expected;
};

class ComputedBmi : public ::testing::TestWithParam<ComputedBmiCase> {};

TEST_P(ComputedBmi, FromWeightAndHeightRoundedToOneDecimal) {
  const ComputedBmiCase& c = GetParam();
  ScreeningClassifier classifier(kRules);
  MeasurementValues m;
  m.weight_kg = c.weight_kg;
  m.height_cm = c.height_cm;
  Assessment a = classifier.Assess(m, 30, SEX_FEMALE);
  ASSERT_TRUE(a.classification.bmi_kg_m2.has_value());
  EXPECT_DOUBLE_EQ(*a.classification.bmi_kg_m2, c.bmi);
  EXPECT_TRUE(a.classification.bmi_computed);
  EXPECT_EQ(a.classification.bmi_category, c.expected);
}

INSTANTIATE_TEST_SUITE_P(
    Kemenkes, ComputedBmi,
    ::testing::Values(ComputedBmiCase{43.2, 160, 16.9, BMI_CATEGORY_SEVERELY_UNDERWEIGHT},
                      ComputedBmiCase{43.4, 160, 17.0, BMI_CATEGORY_UNDERWEIGHT},  // 16.95…
                      ComputedBmiCase{47.2, 160, 18.4, BMI_CATEGORY_UNDERWEIGHT},
                      ComputedBmiCase{47.3, 160, 18.5, BMI_CATEGORY_NORMAL},  // 18.47…
                      ComputedBmiCase{64.0, 160, 25.0, BMI_CATEGORY_NORMAL},
                      ComputedBmiCase{64.2, 160, 25.1, BMI_CATEGORY_OVERWEIGHT},  // 25.08…
                      ComputedBmiCase{69.1, 160, 27.0, BMI_CATEGORY_OVERWEIGHT},  // 26.99…
                      ComputedBmiCase{69.4, 160, 27.1, BMI_CATEGORY_OBESE}));

TEST(BmiAssessment, GivenBmiWinsOverWeightAndHeightAndIsNotMarkedComputed) {
  ScreeningClassifier classifier(kRules);
  MeasurementValues m;
  m.weight_kg = 64;
  m.height_cm = 160;
  m.bmi_kg_m2 = 27.1;
  Assessment a = classifier.Assess(m, 30, SEX_FEMALE);
  EXPECT_EQ(a.classification.bmi_category, BMI_CATEGORY_OBESE);
  EXPECT_FALSE(a.classification.bmi_computed);
}

// ---- waist, cholesterol, uric acid -------------------------------------------------------------

struct WaistCase {
  double waist;
  Sex sex;
  std::optional<bool> expected;
};

class WaistBoundary : public ::testing::TestWithParam<WaistCase> {};

TEST_P(WaistBoundary, AboveNinetyForMenEightyForWomen) {
  EXPECT_EQ(IsCentralObesity(GetParam().waist, GetParam().sex, kRules.waist), GetParam().expected)
      << GetParam().waist << " " << Sex_Name(GetParam().sex);
}

INSTANTIATE_TEST_SUITE_P(
    BySex, WaistBoundary,
    ::testing::Values(WaistCase{90, SEX_MALE, false}, WaistCase{90.1, SEX_MALE, true},
                      WaistCase{80, SEX_FEMALE, false}, WaistCase{80.1, SEX_FEMALE, true},
                      WaistCase{85, SEX_MALE, false}, WaistCase{85, SEX_FEMALE, true},
                      WaistCase{120, SEX_UNSPECIFIED, std::nullopt}));

TEST(Lipids, CholesterolBands) {
  EXPECT_EQ(ClassifyCholesterol(199, kRules.lipids), CHOLESTEROL_BAND_DESIRABLE);
  EXPECT_EQ(ClassifyCholesterol(200, kRules.lipids), CHOLESTEROL_BAND_BORDERLINE);
  EXPECT_EQ(ClassifyCholesterol(239, kRules.lipids), CHOLESTEROL_BAND_BORDERLINE);
  EXPECT_EQ(ClassifyCholesterol(240, kRules.lipids), CHOLESTEROL_BAND_HIGH);
}

TEST(Lipids, UricAcidAboveSevenForMenSixForWomen) {
  EXPECT_EQ(IsUricAcidHigh(7.0, SEX_MALE, kRules.lipids), false);
  EXPECT_EQ(IsUricAcidHigh(7.1, SEX_MALE, kRules.lipids), true);
  EXPECT_EQ(IsUricAcidHigh(6.0, SEX_FEMALE, kRules.lipids), false);
  EXPECT_EQ(IsUricAcidHigh(6.1, SEX_FEMALE, kRules.lipids), true);
  EXPECT_EQ(IsUricAcidHigh(9.0, SEX_UNSPECIFIED, kRules.lipids), std::nullopt);
}

TEST(Lipids, ConfiguredThresholdsAreUsed) {
  ScreeningRules rules;
  rules.lipids.cholesterol_high_from = 220;
  rules.lipids.uric_acid_female_above = 5.7;
  EXPECT_EQ(ClassifyCholesterol(225, rules.lipids), CHOLESTEROL_BAND_HIGH);
  EXPECT_EQ(IsUricAcidHigh(5.8, SEX_FEMALE, rules.lipids), true);
}

// ---- plausibility ------------------------------------------------------------------------------

MeasurementValues Bp(int systolic, int diastolic) {
  MeasurementValues m;
  m.systolic_mmhg = systolic;
  m.diastolic_mmhg = diastolic;
  return m;
}

MeasurementValues Glucose(double v) {
  MeasurementValues m;
  m.glucose_mg_dl = v;
  m.glucose_kind = GLUCOSE_KIND_RANDOM;
  return m;
}

MeasurementValues Weight(double v) {
  MeasurementValues m;
  m.weight_kg = v;
  return m;
}

MeasurementValues Height(double v) {
  MeasurementValues m;
  m.height_cm = v;
  return m;
}

MeasurementValues Waist(double v) {
  MeasurementValues m;
  m.waist_cm = v;
  return m;
}

struct PlausibilityCase {
  const char* name;
  MeasurementValues values;
  std::string rejected_field;  // empty = accepted
};

class Plausibility : public ::testing::TestWithParam<PlausibilityCase> {};

TEST_P(Plausibility, ImplausibleValuesAreRejectedWithTheFieldNamed) {
  const PlausibilityCase& c = GetParam();
  auto problems = ScreeningClassifier(kRules).Validate(c.values);
  if (c.rejected_field.empty()) {
    EXPECT_THAT(problems, IsEmpty());
  } else {
    ASSERT_EQ(problems.size(), 1u);
    EXPECT_EQ(problems[0].code, "IMPLAUSIBLE_VALUE");
    EXPECT_EQ(problems[0].field, c.rejected_field);
  }
}

INSTANTIATE_TEST_SUITE_P(
    DomainRanges, Plausibility,
    ::testing::Values(
        PlausibilityCase{"systolic_49", Bp(49, 40), "measurements.systolic_mmhg"},
        PlausibilityCase{"systolic_50", Bp(50, 40), ""},
        PlausibilityCase{"systolic_300", Bp(300, 100), ""},
        PlausibilityCase{"systolic_301", Bp(301, 100), "measurements.systolic_mmhg"},
        PlausibilityCase{"diastolic_29", Bp(100, 29), "measurements.diastolic_mmhg"},
        PlausibilityCase{"diastolic_30", Bp(100, 30), ""},
        PlausibilityCase{"diastolic_200", Bp(250, 200), ""},
        PlausibilityCase{"diastolic_201", Bp(250, 201), "measurements.diastolic_mmhg"},
        PlausibilityCase{"systolic_equal_diastolic", Bp(120, 120), "measurements.systolic_mmhg"},
        PlausibilityCase{"systolic_below_diastolic", Bp(80, 120), "measurements.systolic_mmhg"},
        PlausibilityCase{"glucose_19_9", Glucose(19.9), "measurements.glucose_mg_dl"},
        PlausibilityCase{"glucose_20", Glucose(20), ""},
        PlausibilityCase{"glucose_1000", Glucose(1000), ""},
        PlausibilityCase{"glucose_1000_1", Glucose(1000.1), "measurements.glucose_mg_dl"},
        PlausibilityCase{"glucose_nan", Glucose(std::numeric_limits<double>::quiet_NaN()),
                         "measurements.glucose_mg_dl"},
        PlausibilityCase{"height_29_9", Height(29.9), "measurements.height_cm"},
        PlausibilityCase{"height_30", Height(30), ""},
        PlausibilityCase{"height_250", Height(250), ""},
        PlausibilityCase{"height_250_1", Height(250.1), "measurements.height_cm"},
        PlausibilityCase{"weight_0_9", Weight(0.9), "measurements.weight_kg"},
        PlausibilityCase{"weight_1", Weight(1), ""},
        PlausibilityCase{"weight_300", Weight(300), ""},
        PlausibilityCase{"weight_300_1", Weight(300.1), "measurements.weight_kg"},
        PlausibilityCase{"waist_29_9", Waist(29.9), "measurements.waist_cm"},
        PlausibilityCase{"waist_30", Waist(30), ""}, PlausibilityCase{"waist_250", Waist(250), ""},
        PlausibilityCase{"waist_250_1", Waist(250.1), "measurements.waist_cm"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(Plausibility, WeightAndHeightThatGiveAnImpossibleBmiAreRejected) {
  MeasurementValues m;
  m.weight_kg = 200;
  m.height_cm = 40;  // BMI 1250
  auto problems = ScreeningClassifier(kRules).Validate(m);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, "IMPLAUSIBLE_VALUE");
  EXPECT_EQ(problems[0].field, "measurements.weight_kg");
}

TEST(Plausibility, EveryProblemIsReportedAtOnce) {
  MeasurementValues m = Bp(400, 10);
  m.glucose_mg_dl = 5;  // implausible and without a kind
  m.waist_cm = 500;
  auto problems = ScreeningClassifier(kRules).Validate(m);
  std::vector<std::string> fields;
  for (const auto& p : problems) fields.push_back(p.code + ":" + p.field);
  EXPECT_THAT(fields, ElementsAre("IMPLAUSIBLE_VALUE:measurements.systolic_mmhg",
                                  "IMPLAUSIBLE_VALUE:measurements.diastolic_mmhg",
                                  "IMPLAUSIBLE_VALUE:measurements.glucose_mg_dl",
                                  "GLUCOSE_KIND_MISSING:measurements.glucose_kind",
                                  "IMPLAUSIBLE_VALUE:measurements.waist_cm"));
}

TEST(Plausibility, NothingMeasuredAndHalfABloodPressureAreRefused) {
  auto none = ScreeningClassifier(kRules).Validate(MeasurementValues{});
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0].code, "NO_MEASUREMENTS");
  MeasurementValues half;
  half.systolic_mmhg = 130;
  auto problems = ScreeningClassifier(kRules).Validate(half);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, "BLOOD_PRESSURE_INCOMPLETE");
  EXPECT_EQ(problems[0].field, "measurements.diastolic_mmhg");
}

TEST(Plausibility, AFlagAloneIsAMeasurement) {
  MeasurementValues m;
  m.tb_symptoms = false;
  EXPECT_THAT(ScreeningClassifier(kRules).Validate(m), IsEmpty());
}

// ---- findings ----------------------------------------------------------------------------------

TEST(Findings, MostSevereFirstWithClusterAndIcd10OnDiagnoses) {
  MeasurementValues m = Bp(165, 95);
  m.bmi_kg_m2 = 28;
  m.smoking_status = SMOKING_STATUS_CURRENT;
  m.glucose_mg_dl = 110;
  m.glucose_kind = GLUCOSE_KIND_FASTING;
  Assessment a = ScreeningClassifier(kRules).Assess(m, 45, SEX_MALE);
  EXPECT_THAT(
      a.findings,
      ElementsAre(
          Finding{"HYPERTENSION_GRADE_2", "Hipertensi derajat 2", "I10", ILP_CLUSTER_K3, true},
          Finding{"OBESE", "Obesitas", "E66.9", ILP_CLUSTER_K3, true},
          Finding{"GLUCOSE_PREDIABETES", "Prediabetes", "R73.0", ILP_CLUSTER_K3, true},
          Finding{"CURRENT_SMOKER", "Merokok", "", ILP_CLUSTER_K3, false}));
}

TEST(Findings, EveryDiagnosisCarriesIcd10AndNoOtherFindingDoes) {
  MeasurementValues m = Bp(200, 120);
  m.glucose_mg_dl = 250;
  m.glucose_kind = GLUCOSE_KIND_RANDOM;
  m.bmi_kg_m2 = 30;
  m.waist_cm = 100;
  m.total_cholesterol_mg_dl = 260;
  m.uric_acid_mg_dl = 8;
  m.tb_symptoms = true;
  m.mental_health_positive = true;
  m.danger_signs = true;
  m.cancer_flag = true;
  Assessment a = ScreeningClassifier(kRules).Assess(m, 60, SEX_MALE);
  std::vector<std::string> codes;
  for (const Finding& f : a.findings) {
    codes.push_back(f.code + "/" + f.icd10);
    EXPECT_EQ(f.is_diagnosis, !f.icd10.empty()) << f.code;
  }
  EXPECT_THAT(codes,
              ElementsAre("DANGER_SIGNS/", "HYPERTENSION_GRADE_3/I10",
                          "GLUCOSE_DIABETES_SUSPECTED/R73.9", "TB_SYMPTOMS/",
                          "MENTAL_HEALTH_POSITIVE/", "CANCER_SCREEN_POSITIVE/", "OBESE/E66.9",
                          "HIGH_CHOLESTEROL/E78.0", "HIGH_URIC_ACID/E79.0", "CENTRAL_OBESITY/"));
}

TEST(Findings, ChildrenGetClusterK2AndNoAdultCategories) {
  MeasurementValues m = Bp(150, 95);
  m.weight_kg = 40;
  m.height_cm = 120;
  m.waist_cm = 90;
  m.glucose_mg_dl = 210;
  m.glucose_kind = GLUCOSE_KIND_RANDOM;
  Assessment a = ScreeningClassifier(kRules).Assess(m, 5, SEX_FEMALE);
  EXPECT_EQ(a.classification.bp, BP_CATEGORY_UNSPECIFIED);
  EXPECT_EQ(a.classification.bmi_category, BMI_CATEGORY_UNSPECIFIED);
  EXPECT_FALSE(a.classification.central_obesity.has_value());
  EXPECT_DOUBLE_EQ(a.classification.bmi_kg_m2.value_or(0), 27.8);  // the value is still reported
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].code, "GLUCOSE_DIABETES_SUSPECTED");
  EXPECT_EQ(a.findings[0].ilp_cluster, ILP_CLUSTER_K2);
  EXPECT_TRUE(a.referral.recommended);
}

TEST(Findings, NormalValuesFindNothingAndReferNobody) {
  MeasurementValues m = Bp(118, 76);
  m.glucose_mg_dl = 95;
  m.glucose_kind = GLUCOSE_KIND_FASTING;
  m.weight_kg = 60;
  m.height_cm = 165;
  m.waist_cm = 80;
  m.tb_symptoms = false;
  m.smoking_status = SMOKING_STATUS_NEVER;
  Assessment a = ScreeningClassifier(kRules).Assess(m, 30, SEX_MALE);
  EXPECT_THAT(a.findings, IsEmpty());
  EXPECT_FALSE(a.referral.recommended);
  EXPECT_EQ(a.referral.urgency, URGENCY_UNSPECIFIED);
  EXPECT_EQ(a.classification.central_obesity, false);
}

// ---- referral ----------------------------------------------------------------------------------

struct ReferralCase {
  const char* name;
  MeasurementValues values;
  Urgency urgency;  // UNSPECIFIED = no referral
  std::vector<std::string> reasons;
};

MeasurementValues With(MeasurementValues m, void (*edit)(MeasurementValues&)) {
  edit(m);
  return m;
}

MeasurementValues Fasting(double v) {
  MeasurementValues m = Glucose(v);
  m.glucose_kind = GLUCOSE_KIND_FASTING;
  return m;
}

MeasurementValues TwoHour(double v) {
  MeasurementValues m = Glucose(v);
  m.glucose_kind = GLUCOSE_KIND_TWO_HOUR_POST_LOAD;
  return m;
}

MeasurementValues Bmi(double bmi) {
  MeasurementValues m;
  m.bmi_kg_m2 = bmi;
  return m;
}

class Referral : public ::testing::TestWithParam<ReferralCase> {};

TEST_P(Referral, DomainRuleWithDefaults) {
  const ReferralCase& c = GetParam();
  Assessment a = ScreeningClassifier(kRules).Assess(c.values, 40, SEX_FEMALE);
  EXPECT_EQ(a.referral.recommended, c.urgency != URGENCY_UNSPECIFIED);
  EXPECT_EQ(a.referral.urgency, c.urgency);
  EXPECT_THAT(a.referral.reason_codes, ElementsAreArray(c.reasons));
}

INSTANTIATE_TEST_SUITE_P(
    Defaults, Referral,
    ::testing::Values(
        ReferralCase{"high_normal", Bp(139, 89), URGENCY_UNSPECIFIED, {}},
        ReferralCase{"isolated_systolic_140",
                     Bp(140, 89),
                     URGENCY_ROUTINE,
                     {"ISOLATED_SYSTOLIC_HYPERTENSION"}},
        ReferralCase{"grade1_diastolic_90", Bp(139, 90), URGENCY_ROUTINE, {"HYPERTENSION_GRADE_1"}},
        ReferralCase{"grade2_179_109", Bp(179, 109), URGENCY_ROUTINE, {"HYPERTENSION_GRADE_2"}},
        ReferralCase{"systolic_180_urgent", Bp(180, 100), URGENCY_URGENT, {"HYPERTENSION_GRADE_3"}},
        ReferralCase{
            "diastolic_110_urgent", Bp(170, 110), URGENCY_URGENT, {"HYPERTENSION_GRADE_3"}},
        ReferralCase{"isolated_systolic_190_urgent",
                     Bp(190, 85),
                     URGENCY_URGENT,
                     {"ISOLATED_SYSTOLIC_HYPERTENSION"}},
        ReferralCase{"random_199", Glucose(199), URGENCY_UNSPECIFIED, {}},
        ReferralCase{"random_200", Glucose(200), URGENCY_ROUTINE, {"GLUCOSE_DIABETES_SUSPECTED"}},
        ReferralCase{"random_299", Glucose(299), URGENCY_ROUTINE, {"GLUCOSE_DIABETES_SUSPECTED"}},
        ReferralCase{
            "random_300_urgent", Glucose(300), URGENCY_URGENT, {"GLUCOSE_DIABETES_SUSPECTED"}},
        ReferralCase{"fasting_125", Fasting(125), URGENCY_UNSPECIFIED, {}},
        ReferralCase{"fasting_126", Fasting(126), URGENCY_ROUTINE, {"GLUCOSE_DIABETES"}},
        ReferralCase{"two_hour_199", TwoHour(199), URGENCY_UNSPECIFIED, {}},
        ReferralCase{"two_hour_200", TwoHour(200), URGENCY_ROUTINE, {"GLUCOSE_DIABETES"}},
        ReferralCase{"hba1c_6_5",
                     With({}, [](MeasurementValues& m) { m.hba1c_percent = 6.5; }),
                     URGENCY_ROUTINE,
                     {"GLUCOSE_DIABETES"}},
        ReferralCase{"obese_alone", Bmi(27.1), URGENCY_UNSPECIFIED, {}},
        ReferralCase{"obese_with_central_obesity_only",
                     With(Bmi(30), [](MeasurementValues& m) { m.waist_cm = 100; }),
                     URGENCY_UNSPECIFIED,
                     {}},
        ReferralCase{"bmi_27_0_with_smoking",
                     With(Bmi(27.0),
                          [](MeasurementValues& m) { m.smoking_status = SMOKING_STATUS_CURRENT; }),
                     URGENCY_UNSPECIFIED,
                     {}},
        ReferralCase{"obese_27_1_with_smoking",
                     With(Bmi(27.1),
                          [](MeasurementValues& m) { m.smoking_status = SMOKING_STATUS_CURRENT; }),
                     URGENCY_ROUTINE,
                     {"OBESE", "CURRENT_SMOKER"}},
        ReferralCase{"obese_with_prediabetes",
                     With(Bmi(29),
                          [](MeasurementValues& m) {
                            m.glucose_mg_dl = 110;
                            m.glucose_kind = GLUCOSE_KIND_FASTING;
                          }),
                     URGENCY_ROUTINE,
                     {"OBESE", "GLUCOSE_PREDIABETES"}},
        ReferralCase{"tb",
                     With({}, [](MeasurementValues& m) { m.tb_symptoms = true; }),
                     URGENCY_ROUTINE,
                     {"TB_SYMPTOMS"}},
        ReferralCase{"tb_negative",
                     With({}, [](MeasurementValues& m) { m.tb_symptoms = false; }),
                     URGENCY_UNSPECIFIED,
                     {}},
        ReferralCase{"mental_health",
                     With({}, [](MeasurementValues& m) { m.mental_health_positive = true; }),
                     URGENCY_ROUTINE,
                     {"MENTAL_HEALTH_POSITIVE"}},
        ReferralCase{"cancer",
                     With({}, [](MeasurementValues& m) { m.cancer_flag = true; }),
                     URGENCY_ROUTINE,
                     {"CANCER_SCREEN_POSITIVE"}},
        ReferralCase{"danger_signs_urgent",
                     With({}, [](MeasurementValues& m) { m.danger_signs = true; }),
                     URGENCY_URGENT,
                     {"DANGER_SIGNS"}},
        ReferralCase{"several_most_severe_first",
                     With(Bp(150, 95),
                          [](MeasurementValues& m) {
                            m.tb_symptoms = true;
                            m.glucose_mg_dl = 320;
                            m.glucose_kind = GLUCOSE_KIND_RANDOM;
                          }),
                     URGENCY_URGENT,
                     {"GLUCOSE_DIABETES_SUSPECTED", "HYPERTENSION_GRADE_1", "TB_SYMPTOMS"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ReferralConfiguration, ThresholdsComeFromTheRules) {
  ScreeningRules rules;
  rules.referral.systolic_from = 130;
  rules.referral.urgent_systolic_from = 170;
  rules.referral.random_glucose_from = 180;
  ScreeningClassifier classifier(rules);
  Assessment high_normal = classifier.Assess(Bp(132, 80), 40, SEX_MALE);
  EXPECT_EQ(high_normal.referral.urgency, URGENCY_ROUTINE);
  EXPECT_THAT(high_normal.referral.reason_codes, ElementsAre("HIGH_NORMAL_BLOOD_PRESSURE"));
  EXPECT_EQ(classifier.Assess(Bp(172, 95), 40, SEX_MALE).referral.urgency, URGENCY_URGENT);
  Assessment random = classifier.Assess(Glucose(185), 40, SEX_MALE);
  EXPECT_EQ(random.referral.urgency, URGENCY_ROUTINE);
  EXPECT_THAT(random.referral.reason_codes, ElementsAre("GLUCOSE_RAISED"));
}

TEST(ReferralConfiguration, ChildrenAreNotReferredOnAdultBloodPressureCutOffs) {
  Assessment a = ScreeningClassifier(kRules).Assess(Bp(150, 95), 17, SEX_MALE);
  EXPECT_FALSE(a.referral.recommended);
  Assessment adult = ScreeningClassifier(kRules).Assess(Bp(150, 95), 18, SEX_MALE);
  EXPECT_TRUE(adult.referral.recommended);
  EXPECT_EQ(adult.findings.at(0).ilp_cluster, ILP_CLUSTER_K3);
}

}  // namespace
}  // namespace screening
