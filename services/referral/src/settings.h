// The referral service's own configuration, read and validated once at start (a bad value is a
// ConfigError naming the variable).
//
//   KLINIK_DEFAULT_PUSKESMAS_ID    target of automatic referrals from clinics not in the map
//                                  (required)
//   KLINIK_CLINIC_PUSKESMAS_MAP    path of a JSON object {"<clinic id>": "<puskesmas id>", …}
//                                  (optional)
//   KLINIK_SLA_URGENT              acceptance SLA of urgent referrals (default 2h)
//   KLINIK_SLA_ROUTINE             acceptance SLA of routine referrals (default 72h)
//   KLINIK_REFERRAL_VALIDITY       validity of a referral letter (default 90d)
//   KLINIK_SLA_CHECK_INTERVAL      how often deadlines are checked (default 30s)
#pragma once

#include <chrono>
#include <map>
#include <string>

#include "klinik/config.h"
#include "referral_lifecycle.h"

namespace referral {

struct Settings {
  SlaPolicy sla;
  std::chrono::milliseconds check_interval{std::chrono::seconds(30)};
  std::string default_puskesmas_id;
  std::map<std::string, std::string> clinic_puskesmas;  // clinic id -> puskesmas id

  static Settings FromConfig(const klinik::Config& config);
  // The puskesmas that supervises `clinic_id` (DOMAIN.md: the transition-period supervisor).
  [[nodiscard]] const std::string& PuskesmasFor(const std::string& clinic_id) const;
};

// Parses the clinic map's JSON text; throws ConfigError naming KLINIK_CLINIC_PUSKESMAS_MAP.
std::map<std::string, std::string> ParseClinicPuskesmasMap(const std::string& json_text);

}  // namespace referral
