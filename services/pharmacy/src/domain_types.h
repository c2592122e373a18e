// Value types shared by the pharmacy domain (ledger, allocator, alert policy, LPLPO report).
// Plain C++ with no Kafka, gRPC or SQL, so the rules can be driven directly by unit tests.
// Instants are Unix milliseconds (UTC); days are klinik::CivilDate on the clinic's calendar.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "klinik/time_util.h"

namespace pharmacy {

// One machine-readable reason a request was refused (maps 1:1 onto klinik.v1.Reason).
struct Reason {
  std::string code;     // UPPER_SNAKE, e.g. INSUFFICIENT_STOCK
  std::string field;    // proto field path, e.g. "lines[0].quantity"; empty when none
  std::string message;  // English, never personal data
  bool operator==(const Reason&) const = default;
};
using Reasons = std::vector<Reason>;

// Values match klinik.v1.MovementKind and klinik.v1.AdjustmentReason so the mapping is a cast.
enum class MovementKind { kReceived = 1, kDispensed = 2, kAdjusted = 3, kRecalled = 4 };
enum class AdjustmentReason {
  kUnspecified = 0,
  kDamaged = 1,
  kExpired = 2,
  kLost = 3,
  kCountCorrection = 4,
  kRecalled = 5,
};
enum class LotState { kUsable = 1, kExpired = 2, kRecalled = 3 };

// The clinic's local calendar: a deployment serves one province, which lies in one of WIB
// (+7), WITA (+8) or WIT (+9), so a fixed offset is exact for it.
struct LocalCalendar {
  int utc_offset_minutes = 7 * 60;

  [[nodiscard]] klinik::CivilDate DateOf(int64_t unix_ms) const {
    return klinik::ToCivilDate(
        klinik::FromUnixMillis(unix_ms + int64_t{utc_offset_minutes} * 60'000));
  }
  // The UTC instant at which `date` begins on this calendar.
  [[nodiscard]] int64_t StartOf(const klinik::CivilDate& date) const {
    return klinik::ToUnixMillis(klinik::StartOfDay(date)) - int64_t{utc_offset_minutes} * 60'000;
  }
};

// One lot of one item at one clinic. A lot is identified by (item_code, lot_number).
struct Lot {
  std::string item_code;
  std::string lot_number;
  klinik::CivilDate expiry;
  int64_t quantity = 0;                   // on hand, usable or not; never negative
  int64_t received_at_ms = 0;             // first receipt: FEFO tie-break among equal expiries
  int64_t seq = 0;                        // order of first receipt at the clinic: final tie-break
  std::optional<int64_t> recalled_at_ms;  // set once a recall reached this clinic
};

// A lot may be issued on `today` while today <= expiry (the printed date is the last usable
// day) and it has not been recalled.
[[nodiscard]] LotState StateOf(const Lot& lot, const klinik::CivilDate& today);

// First-expiry-first-out order: expiry, then first receipt instant, then receipt sequence.
[[nodiscard]] bool FefoBefore(const Lot& a, const Lot& b);

// One entry of a stock card. Balances are on-hand quantities after the movement.
struct Movement {
  std::string item_code;
  std::string lot_number;
  MovementKind kind = MovementKind::kReceived;
  AdjustmentReason reason = AdjustmentReason::kUnspecified;
  int64_t delta = 0;
  int64_t lot_balance = 0;   // the lot after the movement
  int64_t item_balance = 0;  // all lots of the item after the movement
  std::string reference;     // delivery note, prescription id, note or recall notice
  std::string request_id;
  int64_t at_ms = 0;
};

}  // namespace pharmacy
