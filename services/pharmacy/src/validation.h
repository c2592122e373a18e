// Stateless checks of pharmacy requests: formats and ranges that need no stock to decide.
// Each Validate* appends every problem it finds (an app learns all of them at once) with the
// reason codes listed in services/pharmacy/README.md.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "domain_types.h"

namespace pharmacy {

// KFA product (93) or package (94) code: exactly 8 digits. Dispensing records these levels only.
[[nodiscard]] bool IsDispensableKfaCode(std::string_view code);

struct ReceiveCommand {
  std::string request_id;
  std::string clinic_id;
  std::string item_code;
  std::string item_name;
  std::string lot_number;
  std::string expiry_date;  // "YYYY-MM-DD"
  int64_t quantity = 0;
  std::string unit;
  std::string reference;  // delivery note
  int64_t at_ms = 0;      // received_at
};

struct DispenseLineCommand {
  int32_t line_no = 0;
  std::string item_code;
  int64_t quantity = 0;
};

struct DispenseCommand {
  std::string request_id;
  std::string clinic_id;
  std::string patient_id;
  std::string prescription_id;
  std::vector<DispenseLineCommand> lines;
  std::string dispensed_by;
  int64_t at_ms = 0;
};

struct AdjustCommand {
  std::string request_id;
  std::string clinic_id;
  std::string item_code;
  std::string lot_number;
  AdjustmentReason reason = AdjustmentReason::kUnspecified;
  int64_t quantity_delta = 0;
  std::optional<int64_t> counted_quantity;
  std::string note;
  std::string adjusted_by;
  int64_t at_ms = 0;
};

struct RecallCommand {
  std::string request_id;
  std::string item_code;
  std::string lot_number;
  std::string reason;
  int64_t at_ms = 0;
};

struct ReorderLevelCommand {
  std::string request_id;
  std::string clinic_id;
  std::string item_code;
  int64_t reorder_level = 0;
};

void ValidateReceive(const ReceiveCommand& c, const LocalCalendar& calendar, Reasons& out);
void ValidateDispense(const DispenseCommand& c, Reasons& out);
void ValidateAdjust(const AdjustCommand& c, Reasons& out);
void ValidateRecall(const RecallCommand& c, Reasons& out);
void ValidateReorderLevel(const ReorderLevelCommand& c, Reasons& out);

}  // namespace pharmacy
