#include "settings.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace referral {
namespace {

constexpr const char* kMapVariable = "KLINIK_CLINIC_PUSKESMAS_MAP";

bool IsFacilityId(const std::string& id) { return !id.empty() && id.size() <= 64; }

}  // namespace

std::map<std::string, std::string> ParseClinicPuskesmasMap(const std::string& json_text) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::parse_error& e) {
    throw klinik::ConfigError(std::string(kMapVariable) + ": not valid JSON (" + e.what() + ")");
  }
  if (!doc.is_object()) {
    throw klinik::ConfigError(std::string(kMapVariable) +
                              ": must be a JSON object of clinic id to puskesmas id");
  }
  std::map<std::string, std::string> out;
  for (const auto& [clinic, puskesmas] : doc.items()) {
    if (!IsFacilityId(clinic) || !puskesmas.is_string() ||
        !IsFacilityId(puskesmas.get<std::string>())) {
      throw klinik::ConfigError(std::string(kMapVariable) + ": entry \"" + clinic.substr(0, 64) +
                                "\" must map a clinic id to a puskesmas id, each 1-64 characters");
    }
    out[clinic] = puskesmas.get<std::string>();
  }
  return out;
}

Settings Settings::FromConfig(const klinik::Config& config) {
  Settings c;
  c.sla.urgent = config.PositiveDuration("KLINIK_SLA_URGENT", std::chrono::hours(2));
  c.sla.routine = config.PositiveDuration("KLINIK_SLA_ROUTINE", std::chrono::hours(72));
  c.sla.validity = config.PositiveDuration("KLINIK_REFERRAL_VALIDITY", std::chrono::hours(24 * 90));
  c.check_interval = config.PositiveDuration("KLINIK_SLA_CHECK_INTERVAL", std::chrono::seconds(30));
  c.default_puskesmas_id = config.RequiredString("KLINIK_DEFAULT_PUSKESMAS_ID");
  if (!IsFacilityId(c.default_puskesmas_id)) {
    throw klinik::ConfigError("KLINIK_DEFAULT_PUSKESMAS_ID: must be 1-64 characters");
  }
  std::string path = config.String(kMapVariable, "");
  if (!path.empty()) {
    std::ifstream in(path);
    if (!in) throw klinik::ConfigError(std::string(kMapVariable) + ": cannot read " + path);
    std::stringstream text;
    text << in.rdbuf();
    c.clinic_puskesmas = ParseClinicPuskesmasMap(text.str());
  }
  return c;
}

const std::string& Settings::PuskesmasFor(const std::string& clinic_id) const {
  auto it = clinic_puskesmas.find(clinic_id);
  return it == clinic_puskesmas.end() ? default_puskesmas_id : it->second;
}

}  // namespace referral
