// Time and identifier helpers shared by every service: RFC 3339 UTC timestamps (the form
// CloudEvents and SatuSehat require), protobuf Timestamps (the contracts' instants), calendar
// dates, a clinic's UTC offset, and random UUIDs.
#pragma once

#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace klinik {

using Clock = std::chrono::system_clock;
using TimePoint = Clock::time_point;

// The years of the instants taken from outside (RFC 3339 text, apps' protobuf Timestamps). A
// TimePoint counts nanoseconds in 64 bits (1677-09-21 to 2262-04-11); the months to spare let a
// caller add an offset or a deadline to any accepted instant without overflow.
inline constexpr int kFirstYear = 1678;
inline constexpr int kLastYear = 2261;

// "2025-07-21T01:30:00Z" (or with ".123" milliseconds); always UTC.
std::string FormatRfc3339(TimePoint t, bool millis = false);
// "2025-07-21T01:30:00+00:00": SatuSehat's form, UTC with an explicit offset.
std::string FormatFhirDateTime(TimePoint t);
// Accepts "Z" or "+hh:mm"/"-hh:mm" offsets and optional fractional seconds; nullopt for an
// instant outside kFirstYear..kLastYear (UTC).
std::optional<TimePoint> ParseRfc3339(std::string_view text);

// A calendar date without a time zone (birth dates, expiry dates).
struct CivilDate {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  auto operator<=>(const CivilDate&) const = default;
};
// Strict "YYYY-MM-DD" that names a real day (2024-02-29 yes, 2025-02-29 no).
std::optional<CivilDate> ParseCivilDate(std::string_view text);
std::string FormatCivilDate(const CivilDate& date);
// The UTC calendar date of an instant, and the number of days between two dates.
CivilDate ToCivilDate(TimePoint t);
int64_t DaysBetween(const CivilDate& from, const CivilDate& to);
// Exact for any date; a shift is bounded to ten thousand years.
CivilDate AddDays(const CivilDate& date, int64_t days);
// Midnight UTC of the date; saturates (as FromUnixMillis) outside kFirstYear..kLastYear.
TimePoint StartOfDay(const CivilDate& date);

int64_t ToUnixMillis(TimePoint t);
// Both saturate at the first and last instant of kFirstYear..kLastYear, so any value (a
// protobuf Timestamp's seconds and nanos as an app sent them) converts without overflow.
TimePoint FromUnixMillis(int64_t ms);
TimePoint FromUnixTime(int64_t seconds, int32_t nanos);

// protobuf Timestamps. ToTimestamp is exact (seconds floored, nanos in [0, 1e9), as the
// Timestamp contract requires).
[[nodiscard]] google::protobuf::Timestamp ToTimestamp(TimePoint t);
// Floored to the millisecond: what a service that stores milliseconds publishes, so its facts say
// what a later read of the row says.
[[nodiscard]] google::protobuf::Timestamp ToTimestampMillis(TimePoint t);
// Saturates as FromUnixTime does, so any Timestamp an app sends converts without overflow.
[[nodiscard]] TimePoint FromTimestamp(const google::protobuf::Timestamp& t);
// nullopt for an unset Timestamp (0 s, 0 ns: proto3 cannot tell it from the epoch, and no
// contract instant is 1970-01-01T00:00:00Z).
[[nodiscard]] std::optional<TimePoint> FromTimestampIfSet(const google::protobuf::Timestamp& t);

// A clinic's UTC offset (KLINIK_LOCAL_UTC_OFFSET; Config::UtcOffset reads it): "+07:00",
// "-03:30", "+7", "+07" or "Z", within -12:00..+14:00; or an Indonesian zone by name, any case:
// WIB (+07:00), WITA (+08:00), WIT (+09:00). nullopt for anything else.
[[nodiscard]] std::optional<std::chrono::minutes> ParseUtcOffset(std::string_view text);

// A random (version 4) UUID in canonical lower-case form.
std::string NewUuid();
bool IsUuid(std::string_view text);

}  // namespace klinik
