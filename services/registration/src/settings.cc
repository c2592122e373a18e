#include "settings.h"

#include "klinik/topics.h"

namespace registration {

Settings Settings::FromConfig(const klinik::Config& config) {
  Settings out;
  out.intake_topic = config.String("KLINIK_REGISTRATION_INTAKE_TOPIC",
                                   std::string(klinik::topics::kIntakeRegistration));
  // Kafka's own rule for topic names: 1-249 of [a-zA-Z0-9._-].
  bool legal = !out.intake_topic.empty() && out.intake_topic.size() <= 249;
  for (char c : out.intake_topic) {
    legal = legal && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-');
  }
  if (!legal) {
    throw klinik::ConfigError("KLINIK_REGISTRATION_INTAKE_TOPIC: '" + out.intake_topic +
                              "' is not a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)");
  }
  return out;
}

}  // namespace registration
