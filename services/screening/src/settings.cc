#include "settings.h"

namespace screening {
namespace {

int IntVar(const klinik::Config& c, const char* name, int fallback, int min, int max) {
  return static_cast<int>(c.Int(name, fallback, min, max));
}

}  // namespace

Settings Settings::FromConfig(const klinik::Config& c) {
  Settings s;
  // Tests give each case its own intake topic so cases never see each other's submissions.
  s.intake_topic =
      c.String("KLINIK_SCREENING_INTAKE_TOPIC", std::string(klinik::topics::kIntakeScreening));
  s.registration_address = c.String("KLINIK_REGISTRATION_ADDRESS", "");
  // Required, except that --help must still list every variable.
  if (s.registration_address.empty() && !c.HelpRequested()) {
    throw klinik::ConfigError(
        "KLINIK_REGISTRATION_ADDRESS: is required but not set (host:port of registration's "
        "PatientDirectory)");
  }
  if (!s.registration_address.empty() && s.registration_address.find(':') == std::string::npos) {
    throw klinik::ConfigError("KLINIK_REGISTRATION_ADDRESS: expected host:port, got '" +
                              s.registration_address + "'");
  }
  s.registration_timeout =
      c.PositiveDuration("KLINIK_REGISTRATION_TIMEOUT", std::chrono::seconds(2));
  s.utc_offset = c.UtcOffset("KLINIK_LOCAL_UTC_OFFSET", std::chrono::hours(7));  // WIB

  ScreeningRules& r = s.rules;
  r.ckg_window_days = IntVar(c, "KLINIK_CKG_WINDOW_DAYS", r.ckg_window_days, 0, 365);
  LipidThresholds& l = r.lipids;
  l.cholesterol_borderline_from =
      c.Double("KLINIK_CHOLESTEROL_BORDERLINE_MG_DL", l.cholesterol_borderline_from, 50, 1000);
  l.cholesterol_high_from =
      c.Double("KLINIK_CHOLESTEROL_HIGH_MG_DL", l.cholesterol_high_from, 50, 1000);
  if (l.cholesterol_high_from < l.cholesterol_borderline_from) {
    throw klinik::ConfigError(
        "KLINIK_CHOLESTEROL_HIGH_MG_DL: must not be below KLINIK_CHOLESTEROL_BORDERLINE_MG_DL");
  }
  l.uric_acid_male_above =
      c.Double("KLINIK_URIC_ACID_HIGH_MALE_MG_DL", l.uric_acid_male_above, 1, 30);
  l.uric_acid_female_above =
      c.Double("KLINIK_URIC_ACID_HIGH_FEMALE_MG_DL", l.uric_acid_female_above, 1, 30);

  ReferralRule& f = r.referral;
  f.systolic_from = IntVar(c, "KLINIK_REFERRAL_SYSTOLIC_MMHG", f.systolic_from, 50, 300);
  f.diastolic_from = IntVar(c, "KLINIK_REFERRAL_DIASTOLIC_MMHG", f.diastolic_from, 30, 200);
  f.random_glucose_from =
      c.Double("KLINIK_REFERRAL_RANDOM_GLUCOSE_MG_DL", f.random_glucose_from, 20, 1000);
  f.fasting_glucose_from =
      c.Double("KLINIK_REFERRAL_FASTING_GLUCOSE_MG_DL", f.fasting_glucose_from, 20, 1000);
  f.bmi_above = c.Double("KLINIK_REFERRAL_BMI_ABOVE", f.bmi_above, 5, 100);
  f.urgent_systolic_from =
      IntVar(c, "KLINIK_REFERRAL_URGENT_SYSTOLIC_MMHG", f.urgent_systolic_from, 50, 300);
  f.urgent_diastolic_from =
      IntVar(c, "KLINIK_REFERRAL_URGENT_DIASTOLIC_MMHG", f.urgent_diastolic_from, 30, 200);
  f.urgent_glucose_from =
      c.Double("KLINIK_REFERRAL_URGENT_GLUCOSE_MG_DL", f.urgent_glucose_from, 20, 1000);
  return s;
}

}  // namespace screening
