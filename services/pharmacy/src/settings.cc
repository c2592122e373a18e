#include "settings.h"

#include "klinik/config.h"
#include "klinik/topics.h"

namespace pharmacy {

Settings Settings::FromConfig(const klinik::Config& config) {
  Settings s;
  // Topic overrides exist for tests and staging copies; production uses the contract names.
  s.intake_topic = config.String("KLINIK_PHARMACY_INTAKE_TOPIC", klinik::topics::kIntakePharmacy);
  s.output_topic = config.String("KLINIK_PHARMACY_TOPIC", klinik::topics::kPharmacy);
  s.default_reorder_level = config.Int("KLINIK_DEFAULT_REORDER_LEVEL", 50, 0, 1'000'000'000);
  s.expiry_check_interval =
      config.PositiveDuration("KLINIK_EXPIRY_CHECK_INTERVAL", std::chrono::hours(1));
  s.expiry_warning_days =
      static_cast<int32_t>(config.Int("KLINIK_EXPIRY_WARNING_DAYS", 90, 0, 3650));
  s.calendar.utc_offset_minutes = static_cast<int>(
      config.UtcOffset("KLINIK_LOCAL_UTC_OFFSET", std::chrono::hours(7)).count());  // WIB
  s.report.lead_days = config.Int("KLINIK_LPLPO_LEAD_DAYS", 14, 0, 365);
  s.report.buffer_percent = config.Int("KLINIK_LPLPO_BUFFER_PERCENT", 10, 0, 100);
  std::string fixed = config.String("KLINIK_TEST_NOW", "");
  if (fixed.empty()) {
    s.now = [] { return klinik::ToUnixMillis(klinik::Clock::now()); };
  } else {
    auto t = klinik::ParseRfc3339(fixed);
    if (!t)
      throw klinik::ConfigError("KLINIK_TEST_NOW: expected an RFC 3339 instant, got '" + fixed +
                                "'");
    int64_t ms = klinik::ToUnixMillis(*t);
    s.now = [ms] { return ms; };
  }
  return s;
}

}  // namespace pharmacy
