// The registration service's own configuration (README.md, "Configuration"). The platform
// variables (database, Kafka, ports…) are read by klinik::ServiceRuntime.
#pragma once

#include <string>

#include "klinik/config.h"

namespace registration {

struct Settings {
  // KLINIK_REGISTRATION_INTAKE_TOPIC: topic consumed (default klinik.intake.registration.v1);
  // tests give each case its own so cases never see each other's intake.
  std::string intake_topic;

  // Throws klinik::ConfigError naming the variable when a value is unusable.
  [[nodiscard]] static Settings FromConfig(const klinik::Config& config);
};

}  // namespace registration
