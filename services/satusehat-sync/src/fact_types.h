// SHIM — removed when sync_worker.cc moves to the registry (issue #15, "The proto is the
// registry"). Only sync_worker.cc includes it, for fact_types::kScreeningCompleted and
// fact_types::kMedicationDispensed; everything else reads ce_types through klinik/event_types.h.
// Once sync_worker.cc compares with klinik::CeType<...>(...) itself, delete this file.
#pragma once

#include <string>
#include <string_view>

#include "klinik/event_types.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/screening.pb.h"

namespace satusehat_sync::fact_types {

// A source fact's ce_type, read from the registry when compared, never during static
// initialisation (the descriptors' options may not be readable yet).
struct RegistryType {
  std::string_view (*type)();
  friend bool operator==(const std::string& s, RegistryType t) { return s == t.type(); }
};

inline constexpr RegistryType kScreeningCompleted{[] {
  return klinik::CeType<klinik::v1::ScreeningEvent>(
      klinik::v1::ScreeningEvent::kScreeningCompleted);
}};
inline constexpr RegistryType kMedicationDispensed{[] {
  return klinik::CeType<klinik::v1::PharmacyEvent>(klinik::v1::PharmacyEvent::kMedicationDispensed);
}};

}  // namespace satusehat_sync::fact_types
