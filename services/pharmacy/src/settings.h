// The pharmacy service's own configuration (the platform's is in klinik/service.h). Read once at
// start; a bad value throws klinik::ConfigError naming the variable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "domain_types.h"
#include "monthly_report.h"

namespace klinik {
class Config;
}

namespace pharmacy {

// Where "now" comes from: the system clock, or a fixed instant for tests (KLINIK_TEST_NOW).
using NowFn = std::function<int64_t()>;  // Unix milliseconds

struct Settings {
  std::string intake_topic;            // KLINIK_PHARMACY_INTAKE_TOPIC
  std::string output_topic;            // KLINIK_PHARMACY_TOPIC
  int64_t default_reorder_level = 50;  // KLINIK_DEFAULT_REORDER_LEVEL
  std::chrono::milliseconds expiry_check_interval{
      std::chrono::hours(1)};        // KLINIK_EXPIRY_CHECK_INTERVAL
  int32_t expiry_warning_days = 90;  // KLINIK_EXPIRY_WARNING_DAYS
  LocalCalendar calendar;            // KLINIK_LOCAL_UTC_OFFSET
  ReportParams report;               // KLINIK_LPLPO_LEAD_DAYS, KLINIK_LPLPO_BUFFER_PERCENT
  NowFn now;                         // KLINIK_TEST_NOW

  static Settings FromConfig(const klinik::Config& config);
};

}  // namespace pharmacy
