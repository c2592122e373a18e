// The screening service's own configuration (README "Configuration"), read and validated once
// at start: a bad value throws klinik::ConfigError naming the variable.
#pragma once

#include <chrono>
#include <string>

#include "klinik/config.h"
#include "klinik/topics.h"
#include "screening_rules.h"

namespace screening {

struct Settings {
  std::string intake_topic;                        // KLINIK_SCREENING_INTAKE_TOPIC
  std::string registration_address;                // KLINIK_REGISTRATION_ADDRESS host:port
  std::chrono::milliseconds registration_timeout;  // KLINIK_REGISTRATION_TIMEOUT per lookup
  std::chrono::minutes utc_offset;                 // KLINIK_LOCAL_UTC_OFFSET
  ScreeningRules rules;

  // Throws klinik::ConfigError naming the first bad variable.
  [[nodiscard]] static Settings FromConfig(const klinik::Config& config);
};

}  // namespace screening
