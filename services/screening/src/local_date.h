// The clinic's calendar day of an instant. Birthday windows are judged on local days, and a
// screening at 06:30 WIB on someone's birthday is 23:30 UTC the day before. Indonesia has three
// zones (WIB +07:00, WITA +08:00, WIT +09:00); the service is configured with one offset
// (KLINIK_LOCAL_UTC_OFFSET, read by klinik::Config::UtcOffset, default WIB) because the intake
// carries no clinic time zone.
#pragma once

#include <chrono>

#include "klinik/time_util.h"

namespace screening {

[[nodiscard]] inline klinik::CivilDate LocalDate(klinik::TimePoint instant,
                                                 std::chrono::minutes utc_offset) {
  return klinik::ToCivilDate(instant + utc_offset);
}

}  // namespace screening
