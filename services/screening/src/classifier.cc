#include "classifier.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace screening {
namespace {

using klinik::v1::BmiCategory;
using klinik::v1::BpCategory;
using klinik::v1::GlucoseCategory;

// Every finding this service can report, MOST SEVERE FIRST: the order of this table is the
// order of ScreeningCompleted.findings and of referral_reason_codes. ICD-10 codes (WHO edition,
// the one SatuSehat uses) only on diagnoses; why each was chosen is in the README.
struct FindingSpec {
  std::string_view code;
  std::string_view display;
  std::string_view icd10;
};
constexpr std::array<FindingSpec, 21> kFindingCatalog = {{
    {"DANGER_SIGNS", "Tanda bahaya", ""},
    {"HYPERTENSION_GRADE_3", "Hipertensi derajat 3", "I10"},
    {"HYPERTENSION_GRADE_2", "Hipertensi derajat 2", "I10"},
    {"GLUCOSE_DIABETES", "Gula darah dalam rentang diabetes", "R73.9"},
    {"GLUCOSE_DIABETES_SUSPECTED", "Gula darah sewaktu tinggi, curiga diabetes", "R73.9"},
    {"ISOLATED_SYSTOLIC_HYPERTENSION", "Hipertensi sistolik terisolasi", "I10"},
    {"HYPERTENSION_GRADE_1", "Hipertensi derajat 1", "I10"},
    {"TB_SYMPTOMS", "Gejala TBC", ""},
    {"MENTAL_HEALTH_POSITIVE", "Skrining kesehatan jiwa positif", ""},
    {"CANCER_SCREEN_POSITIVE", "Skrining kanker positif", ""},
    {"OBESE", "Obesitas", "E66.9"},
    {"SEVERELY_UNDERWEIGHT", "Berat badan sangat kurang", ""},
    {"HIGH_CHOLESTEROL", "Kolesterol tinggi", "E78.0"},
    {"HIGH_URIC_ACID", "Asam urat tinggi", "E79.0"},
    {"GLUCOSE_PREDIABETES", "Prediabetes", "R73.0"},
    {"CENTRAL_OBESITY", "Obesitas sentral", ""},
    {"OVERWEIGHT", "Berat badan lebih", ""},
    {"UNDERWEIGHT", "Berat badan kurang", ""},
    {"HIGH_NORMAL_BLOOD_PRESSURE", "Tekanan darah normal tinggi", ""},
    {"BORDERLINE_CHOLESTEROL", "Kolesterol batas tinggi", ""},
    {"CURRENT_SMOKER", "Merokok", ""},
}};

// Tenths of a positive one-decimal quantity (BMI, HbA1c), rounded half up. The nudge keeps a
// value such as 25.05, stored as 25.04999…, from rounding down.
long Tenths(double v) { return std::lround(v * 10 + 1e-9); }

size_t SeverityRank(std::string_view code) {
  for (size_t i = 0; i < kFindingCatalog.size(); ++i) {
    if (kFindingCatalog[i].code == code) return i;
  }
  return kFindingCatalog.size();  // unreachable for catalog codes; sorts last
}

Finding MakeFinding(std::string_view code, klinik::v1::IlpCluster cluster) {
  const FindingSpec& spec = kFindingCatalog.at(SeverityRank(code));
  return Finding{std::string(spec.code), std::string(spec.display), std::string(spec.icd10),
                 cluster, !spec.icd10.empty()};
}

std::string_view BpFindingCode(BpCategory c) {
  switch (c) {
    case klinik::v1::BP_CATEGORY_HIGH_NORMAL:
      return "HIGH_NORMAL_BLOOD_PRESSURE";
    case klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_1:
      return "HYPERTENSION_GRADE_1";
    case klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_2:
      return "HYPERTENSION_GRADE_2";
    case klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_3:
      return "HYPERTENSION_GRADE_3";
    case klinik::v1::BP_CATEGORY_ISOLATED_SYSTOLIC:
      return "ISOLATED_SYSTOLIC_HYPERTENSION";
    default:
      return "";
  }
}

std::string_view GlucoseFindingCode(GlucoseCategory c) {
  switch (c) {
    case klinik::v1::GLUCOSE_CATEGORY_PREDIABETES:
      return "GLUCOSE_PREDIABETES";
    case klinik::v1::GLUCOSE_CATEGORY_DIABETES:
      return "GLUCOSE_DIABETES";
    case klinik::v1::GLUCOSE_CATEGORY_DIABETES_SUSPECTED:
      return "GLUCOSE_DIABETES_SUSPECTED";
    default:
      return "";
  }
}

std::string_view BmiFindingCode(BmiCategory c) {
  switch (c) {
    case klinik::v1::BMI_CATEGORY_SEVERELY_UNDERWEIGHT:
      return "SEVERELY_UNDERWEIGHT";
    case klinik::v1::BMI_CATEGORY_UNDERWEIGHT:
      return "UNDERWEIGHT";
    case klinik::v1::BMI_CATEGORY_OVERWEIGHT:
      return "OVERWEIGHT";
    case klinik::v1::BMI_CATEGORY_OBESE:
      return "OBESE";
    default:
      return "";
  }
}

// Confirmed diabetes-range results outrank a suspected one; used to merge glucose and HbA1c.
int GlucoseSeverity(GlucoseCategory c) {
  switch (c) {
    case klinik::v1::GLUCOSE_CATEGORY_NORMAL:
      return 1;
    case klinik::v1::GLUCOSE_CATEGORY_PREDIABETES:
      return 2;
    case klinik::v1::GLUCOSE_CATEGORY_DIABETES_SUSPECTED:
      return 3;
    case klinik::v1::GLUCOSE_CATEGORY_DIABETES:
      return 4;
    default:
      return 0;
  }
}

// The ladder of systolic/diastolic starts, lowest category first.
int BpLevel(int systolic, int diastolic, const BpThresholds& t) {
  auto level = [](int value, std::array<int, 5> from) {
    int l = 0;
    for (int f : from) l += value >= f ? 1 : 0;
    return l;
  };
  int s = level(systolic, {t.normal_systolic_from, t.high_normal_systolic_from,
                           t.grade1_systolic_from, t.grade2_systolic_from, t.grade3_systolic_from});
  int d =
      level(diastolic, {t.normal_diastolic_from, t.high_normal_diastolic_from,
                        t.grade1_diastolic_from, t.grade2_diastolic_from, t.grade3_diastolic_from});
  return std::max(s, d);
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

void CheckRange(std::vector<RejectionReason>& out, const char* field, const char* unit,
                std::optional<double> value, double min, double max) {
  if (!value) return;
  // NaN fails both comparisons, so it is caught here as well.
  if (!(*value >= min && *value <= max)) {
    out.push_back({"IMPLAUSIBLE_VALUE", std::string("measurements.") + field,
                   std::string(field) + " outside the plausible range " + Number(min) + "-" +
                       Number(max) + " " + unit + "; check the unit and the typing"});
  }
}

std::optional<double> AsDouble(std::optional<int> v) {
  return v ? std::optional<double>(*v) : std::nullopt;
}

}  // namespace

BpCategory ClassifyBp(int systolic, int diastolic, const BpThresholds& t) {
  // The isolated-systolic row of the table: systolic in the hypertensive range while the
  // diastolic stays below grade 1.
  if (systolic >= t.grade1_systolic_from && diastolic < t.grade1_diastolic_from) {
    return klinik::v1::BP_CATEGORY_ISOLATED_SYSTOLIC;
  }
  static constexpr std::array<BpCategory, 6> kByLevel = {
      klinik::v1::BP_CATEGORY_OPTIMAL,
      klinik::v1::BP_CATEGORY_NORMAL,
      klinik::v1::BP_CATEGORY_HIGH_NORMAL,
      klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_1,
      klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_2,
      klinik::v1::BP_CATEGORY_HYPERTENSION_GRADE_3};
  return kByLevel.at(static_cast<size_t>(BpLevel(systolic, diastolic, t)));
}

GlucoseCategory ClassifyGlucose(double v, klinik::v1::GlucoseKind kind,
                                const GlucoseThresholds& t) {
  switch (kind) {
    case klinik::v1::GLUCOSE_KIND_FASTING:
      if (v >= t.fasting_diabetes_from) return klinik::v1::GLUCOSE_CATEGORY_DIABETES;
      if (v >= t.fasting_prediabetes_from) return klinik::v1::GLUCOSE_CATEGORY_PREDIABETES;
      return klinik::v1::GLUCOSE_CATEGORY_NORMAL;
    case klinik::v1::GLUCOSE_KIND_RANDOM:
      // PERKENI gives a random value one cut-off only; below it nothing can be concluded,
      // which the contract reports as NORMAL.
      if (v >= t.random_diabetes_suspected_from) {
        return klinik::v1::GLUCOSE_CATEGORY_DIABETES_SUSPECTED;
      }
      return klinik::v1::GLUCOSE_CATEGORY_NORMAL;
    case klinik::v1::GLUCOSE_KIND_TWO_HOUR_POST_LOAD:
      if (v >= t.two_hour_diabetes_from) return klinik::v1::GLUCOSE_CATEGORY_DIABETES;
      if (v >= t.two_hour_prediabetes_from) return klinik::v1::GLUCOSE_CATEGORY_PREDIABETES;
      return klinik::v1::GLUCOSE_CATEGORY_NORMAL;
    default:
      return klinik::v1::GLUCOSE_CATEGORY_UNSPECIFIED;
  }
}

GlucoseCategory ClassifyHba1c(double percent, const GlucoseThresholds& t) {
  // HbA1c is reported with one decimal; compare in tenths so 6.5 is never read as 6.4999.
  long tenths = Tenths(percent);
  if (tenths >= Tenths(t.hba1c_diabetes_from)) return klinik::v1::GLUCOSE_CATEGORY_DIABETES;
  if (tenths >= Tenths(t.hba1c_prediabetes_from)) {
    return klinik::v1::GLUCOSE_CATEGORY_PREDIABETES;
  }
  return klinik::v1::GLUCOSE_CATEGORY_NORMAL;
}

double ComputeBmi(double weight_kg, double height_cm) {
  double metres = height_cm / 100.0;
  return static_cast<double>(Tenths(weight_kg / (metres * metres))) / 10.0;
}

BmiCategory ClassifyBmi(double bmi, const BmiThresholds& t) {
  // Integer tenths: the table's edges (17.0, 18.5, 25.0/25.1, 27.0/27.1) are exact there.
  long v = Tenths(bmi);
  if (v < Tenths(t.underweight_from)) return klinik::v1::BMI_CATEGORY_SEVERELY_UNDERWEIGHT;
  if (v < Tenths(t.normal_from)) return klinik::v1::BMI_CATEGORY_UNDERWEIGHT;
  if (v <= Tenths(t.normal_to)) return klinik::v1::BMI_CATEGORY_NORMAL;
  if (v <= Tenths(t.overweight_to)) return klinik::v1::BMI_CATEGORY_OVERWEIGHT;
  return klinik::v1::BMI_CATEGORY_OBESE;
}

std::optional<bool> IsCentralObesity(double waist_cm, klinik::v1::Sex sex,
                                     const WaistThresholds& t) {
  if (sex == klinik::v1::SEX_MALE) return waist_cm > t.male_above;
  if (sex == klinik::v1::SEX_FEMALE) return waist_cm > t.female_above;
  return std::nullopt;
}

klinik::v1::CholesterolBand ClassifyCholesterol(double mg_dl, const LipidThresholds& t) {
  if (mg_dl >= t.cholesterol_high_from) return klinik::v1::CHOLESTEROL_BAND_HIGH;
  if (mg_dl >= t.cholesterol_borderline_from) return klinik::v1::CHOLESTEROL_BAND_BORDERLINE;
  return klinik::v1::CHOLESTEROL_BAND_DESIRABLE;
}

std::optional<bool> IsUricAcidHigh(double mg_dl, klinik::v1::Sex sex, const LipidThresholds& t) {
  if (sex == klinik::v1::SEX_MALE) return mg_dl > t.uric_acid_male_above;
  if (sex == klinik::v1::SEX_FEMALE) return mg_dl > t.uric_acid_female_above;
  return std::nullopt;
}

std::vector<RejectionReason> ScreeningClassifier::Validate(const MeasurementValues& m) const {
  std::vector<RejectionReason> out;
  bool any = m.systolic_mmhg || m.diastolic_mmhg || m.heart_rate_bpm || m.glucose_mg_dl ||
             m.hba1c_percent || m.weight_kg || m.height_cm || m.bmi_kg_m2 || m.waist_cm ||
             m.total_cholesterol_mg_dl || m.uric_acid_mg_dl ||
             m.smoking_status != klinik::v1::SMOKING_STATUS_UNSPECIFIED || m.tb_symptoms ||
             m.mental_health_positive || m.danger_signs || m.cancer_flag;
  if (!any) {
    out.push_back({"NO_MEASUREMENTS", "measurements", "at least one measurement must be given"});
    return out;
  }
  const PlausibleRanges& p = rules_.plausible;
  CheckRange(out, "systolic_mmhg", "mmHg", AsDouble(m.systolic_mmhg), p.systolic_min,
             p.systolic_max);
  CheckRange(out, "diastolic_mmhg", "mmHg", AsDouble(m.diastolic_mmhg), p.diastolic_min,
             p.diastolic_max);
  if (m.systolic_mmhg.has_value() != m.diastolic_mmhg.has_value()) {
    // One number alone cannot be categorised (the category is the higher of the two).
    out.push_back({"BLOOD_PRESSURE_INCOMPLETE",
                   m.systolic_mmhg ? "measurements.diastolic_mmhg" : "measurements.systolic_mmhg",
                   "blood pressure needs both systolic and diastolic"});
  } else if (m.systolic_mmhg && *m.systolic_mmhg <= *m.diastolic_mmhg) {
    out.push_back({"IMPLAUSIBLE_VALUE", "measurements.systolic_mmhg",
                   "systolic must be above diastolic; were the two swapped?"});
  }
  CheckRange(out, "heart_rate_bpm", "bpm", AsDouble(m.heart_rate_bpm), p.heart_rate_min,
             p.heart_rate_max);
  CheckRange(out, "glucose_mg_dl", "mg/dL", m.glucose_mg_dl, p.glucose_min, p.glucose_max);
  if (m.glucose_mg_dl && m.glucose_kind == klinik::v1::GLUCOSE_KIND_UNSPECIFIED) {
    out.push_back({"GLUCOSE_KIND_MISSING", "measurements.glucose_kind",
                   "glucose_kind is required when glucose_mg_dl is given"});
  }
  CheckRange(out, "hba1c_percent", "%", m.hba1c_percent, p.hba1c_min, p.hba1c_max);
  CheckRange(out, "weight_kg", "kg", m.weight_kg, p.weight_min, p.weight_max);
  CheckRange(out, "height_cm", "cm", m.height_cm, p.height_min, p.height_max);
  CheckRange(out, "bmi_kg_m2", "kg/m2", m.bmi_kg_m2, p.bmi_min, p.bmi_max);
  CheckRange(out, "waist_cm", "cm", m.waist_cm, p.waist_min, p.waist_max);
  CheckRange(out, "total_cholesterol_mg_dl", "mg/dL", m.total_cholesterol_mg_dl, p.cholesterol_min,
             p.cholesterol_max);
  CheckRange(out, "uric_acid_mg_dl", "mg/dL", m.uric_acid_mg_dl, p.uric_acid_min, p.uric_acid_max);
  if (out.empty() && !m.bmi_kg_m2 && m.weight_kg && m.height_cm) {
    // Each value plausible on its own can still be a typing error together (70 kg at 45 cm).
    double bmi = ComputeBmi(*m.weight_kg, *m.height_cm);
    if (bmi < p.bmi_min || bmi > p.bmi_max) {
      out.push_back({"IMPLAUSIBLE_VALUE", "measurements.weight_kg",
                     "weight and height give an implausible BMI; check both"});
    }
  }
  return out;
}

Assessment ScreeningClassifier::Assess(const MeasurementValues& m, int age_years,
                                       klinik::v1::Sex sex) const {
  const bool adult = age_years >= kAdultAge;
  const klinik::v1::IlpCluster cluster =
      adult ? klinik::v1::ILP_CLUSTER_K3 : klinik::v1::ILP_CLUSTER_K2;
  Assessment a;
  Classification& c = a.classification;
  std::vector<std::string_view> codes;
  auto add = [&](std::string_view code) {
    if (!code.empty()) codes.push_back(code);
  };

  if (adult && m.systolic_mmhg && m.diastolic_mmhg) {
    c.bp = ClassifyBp(*m.systolic_mmhg, *m.diastolic_mmhg, rules_.bp);
    add(BpFindingCode(c.bp));
  }
  if (m.glucose_mg_dl)
    c.glucose = ClassifyGlucose(*m.glucose_mg_dl, m.glucose_kind, rules_.glucose);
  if (m.hba1c_percent) {
    GlucoseCategory h = ClassifyHba1c(*m.hba1c_percent, rules_.glucose);
    if (GlucoseSeverity(h) > GlucoseSeverity(c.glucose)) c.glucose = h;
  }
  add(GlucoseFindingCode(c.glucose));
  if (m.bmi_kg_m2) {
    c.bmi_kg_m2 = static_cast<double>(Tenths(*m.bmi_kg_m2)) / 10.0;
  } else if (m.weight_kg && m.height_cm) {
    c.bmi_kg_m2 = ComputeBmi(*m.weight_kg, *m.height_cm);
    c.bmi_computed = true;
  }
  if (adult && c.bmi_kg_m2) {
    c.bmi_category = ClassifyBmi(*c.bmi_kg_m2, rules_.bmi);
    add(BmiFindingCode(c.bmi_category));
  }
  if (adult && m.waist_cm) {
    c.central_obesity = IsCentralObesity(*m.waist_cm, sex, rules_.waist);
    if (c.central_obesity.value_or(false)) add("CENTRAL_OBESITY");
  }
  if (adult && m.total_cholesterol_mg_dl) {
    c.cholesterol = ClassifyCholesterol(*m.total_cholesterol_mg_dl, rules_.lipids);
    if (c.cholesterol == klinik::v1::CHOLESTEROL_BAND_HIGH) add("HIGH_CHOLESTEROL");
    if (c.cholesterol == klinik::v1::CHOLESTEROL_BAND_BORDERLINE) add("BORDERLINE_CHOLESTEROL");
  }
  if (adult && m.uric_acid_mg_dl) {
    c.uric_acid_high = IsUricAcidHigh(*m.uric_acid_mg_dl, sex, rules_.lipids);
    if (c.uric_acid_high.value_or(false)) add("HIGH_URIC_ACID");
  }
  if (m.smoking_status == klinik::v1::SMOKING_STATUS_CURRENT) add("CURRENT_SMOKER");
  if (m.tb_symptoms.value_or(false)) add("TB_SYMPTOMS");
  if (m.mental_health_positive.value_or(false)) add("MENTAL_HEALTH_POSITIVE");
  if (m.cancer_flag.value_or(false)) add("CANCER_SCREEN_POSITIVE");
  if (m.danger_signs.value_or(false)) add("DANGER_SIGNS");

  std::stable_sort(codes.begin(), codes.end(), [](std::string_view l, std::string_view r) {
    return SeverityRank(l) < SeverityRank(r);
  });
  for (std::string_view code : codes) a.findings.push_back(MakeFinding(code, cluster));
  a.referral = DecideReferral(m, adult, c, a.findings);
  return a;
}

ReferralDecision ScreeningClassifier::DecideReferral(const MeasurementValues& m, bool adult,
                                                     const Classification& c,
                                                     const std::vector<Finding>& findings) const {
  const ReferralRule& r = rules_.referral;
  ReferralDecision d;
  bool urgent = false;
  std::vector<std::string_view> reasons;
  auto has = [&](std::string_view code) {
    return std::any_of(findings.begin(), findings.end(),
                       [&](const Finding& f) { return f.code == code; });
  };

  if (adult && m.systolic_mmhg && m.diastolic_mmhg &&
      (*m.systolic_mmhg >= r.systolic_from || *m.diastolic_mmhg >= r.diastolic_from)) {
    std::string_view code = BpFindingCode(c.bp);
    // A configured referral threshold below high normal has no finding of its own.
    reasons.push_back(code.empty() ? "BLOOD_PRESSURE_RAISED" : code);
    urgent |=
        *m.systolic_mmhg >= r.urgent_systolic_from || *m.diastolic_mmhg >= r.urgent_diastolic_from;
  }
  if (m.glucose_mg_dl) {
    double g = *m.glucose_mg_dl;
    bool refer =
        (m.glucose_kind == klinik::v1::GLUCOSE_KIND_RANDOM && g >= r.random_glucose_from) ||
        (m.glucose_kind == klinik::v1::GLUCOSE_KIND_FASTING && g >= r.fasting_glucose_from);
    // A plasma glucose this high is urgent whatever the kind of test (DOMAIN.md names GDS; a
    // fasting or 2-hour value of the same size is no less alarming).
    bool very_high = g >= r.urgent_glucose_from;
    if (refer || very_high) {
      std::string_view code = GlucoseFindingCode(c.glucose);
      reasons.push_back(code.empty() ? "GLUCOSE_RAISED" : code);
    }
    urgent |= very_high;
  }
  // 2-hour and HbA1c results in the diabetic range need the doctor as much as fasting >= 126.
  if (c.glucose == klinik::v1::GLUCOSE_CATEGORY_DIABETES) reasons.push_back("GLUCOSE_DIABETES");
  if (adult && c.bmi_kg_m2 && Tenths(*c.bmi_kg_m2) > Tenths(r.bmi_above)) {
    // "Together with another finding": any other finding except central obesity, which only
    // restates the same adiposity.
    std::vector<std::string_view> companions;
    for (const Finding& f : findings) {
      if (f.code != "OBESE" && f.code != "CENTRAL_OBESITY" && f.code != "OVERWEIGHT") {
        companions.push_back(f.code);
      }
    }
    if (!companions.empty()) {
      std::string_view code = BmiFindingCode(c.bmi_category);
      reasons.push_back(code.empty() ? "BMI_RAISED" : code);
      reasons.insert(reasons.end(), companions.begin(), companions.end());
    }
  }
  for (std::string_view flag :
       {"TB_SYMPTOMS", "MENTAL_HEALTH_POSITIVE", "CANCER_SCREEN_POSITIVE"}) {
    if (has(flag)) reasons.push_back(flag);
  }
  if (has("DANGER_SIGNS")) {
    reasons.push_back("DANGER_SIGNS");
    urgent = true;
  }

  std::stable_sort(reasons.begin(), reasons.end(), [](std::string_view l, std::string_view r) {
    return SeverityRank(l) < SeverityRank(r);
  });
  reasons.erase(std::unique(reasons.begin(), reasons.end()), reasons.end());
  if (reasons.empty()) return d;
  d.recommended = true;
  d.urgency = urgent ? klinik::v1::URGENCY_URGENT : klinik::v1::URGENCY_ROUTINE;
  d.reason_codes.assign(reasons.begin(), reasons.end());
  return d;
}

}  // namespace screening
