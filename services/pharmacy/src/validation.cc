#include "validation.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace pharmacy {
namespace {

constexpr size_t kMaxIdLength = 64;

bool AllDigits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch) != 0; });
}

void Add(Reasons& out, std::string code, std::string field, std::string message) {
  out.push_back({std::move(code), std::move(field), std::move(message)});
}

void CheckRequestId(std::string_view id, Reasons& out) {
  if (id.empty()) Add(out, "REQUEST_ID_MISSING", "request_id", "request_id is required");
  if (id.size() > kMaxIdLength)
    Add(out, "REQUEST_ID_FORMAT", "request_id", "at most 64 characters");
}

void CheckClinicId(std::string_view id, Reasons& out) {
  if (id.empty()) Add(out, "CLINIC_ID_MISSING", "clinic_id", "clinic_id is required");
  if (id.size() > kMaxIdLength) Add(out, "CLINIC_ID_FORMAT", "clinic_id", "at most 64 characters");
}

void CheckItemCode(std::string_view code, const std::string& field, Reasons& out) {
  if (!IsDispensableKfaCode(code)) {
    Add(out, "ITEM_CODE_FORMAT", field,
        "expected a KFA product or package code: 8 digits starting 93 or 94");
  }
}

void CheckLotNumber(std::string_view lot, Reasons& out) {
  if (lot.empty()) Add(out, "LOT_NUMBER_MISSING", "lot_number", "lot_number is required");
  if (lot.size() > kMaxIdLength)
    Add(out, "LOT_NUMBER_FORMAT", "lot_number", "at most 64 characters");
}

// Staff are identified by NIK so SatuSehat can find the Practitioner.
void CheckStaffNik(std::string_view nik, const std::string& field, Reasons& out) {
  if (nik.size() != 16 || !AllDigits(nik))
    Add(out, "STAFF_ID_FORMAT", field, "expected a NIK, 16 digits");
}

}  // namespace

bool IsDispensableKfaCode(std::string_view code) {
  return code.size() == 8 && AllDigits(code) && (code.starts_with("93") || code.starts_with("94"));
}

void ValidateReceive(const ReceiveCommand& c, const LocalCalendar& calendar, Reasons& out) {
  CheckRequestId(c.request_id, out);
  CheckClinicId(c.clinic_id, out);
  CheckItemCode(c.item_code, "item_code", out);
  CheckLotNumber(c.lot_number, out);
  auto expiry = klinik::ParseCivilDate(c.expiry_date);
  if (!expiry) {
    Add(out, "EXPIRY_DATE_FORMAT", "expiry_date", "expected YYYY-MM-DD naming a real day");
  } else if (*expiry < calendar.DateOf(c.at_ms)) {
    Add(out, "EXPIRY_IN_PAST", "expiry_date", "the lot expired before it was received");
  }
  if (c.quantity <= 0) Add(out, "QUANTITY_NOT_POSITIVE", "quantity", "must be more than 0");
  if (c.unit.empty()) Add(out, "UNIT_MISSING", "unit", "unit is required");
}

void ValidateDispense(const DispenseCommand& c, Reasons& out) {
  CheckRequestId(c.request_id, out);
  CheckClinicId(c.clinic_id, out);
  if (!klinik::IsUuid(c.patient_id)) Add(out, "PATIENT_ID_FORMAT", "patient_id", "expected a UUID");
  if (c.prescription_id.empty()) {
    Add(out, "PRESCRIPTION_ID_MISSING", "prescription_id", "prescription_id is required");
  }
  CheckStaffNik(c.dispensed_by, "dispensed_by", out);
  if (c.lines.empty()) Add(out, "LINES_MISSING", "lines", "at least one line is required");
  std::set<int32_t> seen;
  for (size_t i = 0; i < c.lines.size(); ++i) {
    const auto& line = c.lines[i];
    std::string prefix = "lines[" + std::to_string(i) + "].";
    if (line.line_no < 1 || !seen.insert(line.line_no).second) {
      Add(out, "LINE_NO_INVALID", prefix + "line_no", "line numbers are 1-based and unique");
    }
    CheckItemCode(line.item_code, prefix + "item_code", out);
    if (line.quantity <= 0)
      Add(out, "QUANTITY_NOT_POSITIVE", prefix + "quantity", "must be more than 0");
  }
}

void ValidateAdjust(const AdjustCommand& c, Reasons& out) {
  CheckRequestId(c.request_id, out);
  CheckClinicId(c.clinic_id, out);
  CheckItemCode(c.item_code, "item_code", out);
  CheckLotNumber(c.lot_number, out);
  CheckStaffNik(c.adjusted_by, "adjusted_by", out);
  switch (c.reason) {
    case AdjustmentReason::kUnspecified:
      Add(out, "ADJUSTMENT_REASON_MISSING", "reason", "a reason is required");
      break;
    case AdjustmentReason::kCountCorrection:
      // The count is the fact; the book difference is derived from it.
      if (!c.counted_quantity) {
        Add(out, "COUNTED_QUANTITY_MISSING", "counted_quantity",
            "a count correction states the counted quantity");
      } else if (*c.counted_quantity < 0) {
        Add(out, "COUNTED_QUANTITY_NEGATIVE", "counted_quantity", "must be 0 or more");
      }
      break;
    default:
      // Damage, expiry, loss and recall only ever take stock away.
      if (c.counted_quantity) {
        Add(out, "COUNTED_QUANTITY_NOT_ALLOWED", "counted_quantity", "only for COUNT_CORRECTION");
      }
      if (c.quantity_delta >= 0) {
        Add(out, "QUANTITY_NOT_NEGATIVE", "quantity_delta",
            "this reason removes stock: must be less than 0");
      }
  }
}

void ValidateRecall(const RecallCommand& c, Reasons& out) {
  CheckRequestId(c.request_id, out);
  CheckItemCode(c.item_code, "item_code", out);
  CheckLotNumber(c.lot_number, out);
}

void ValidateReorderLevel(const ReorderLevelCommand& c, Reasons& out) {
  CheckRequestId(c.request_id, out);
  CheckClinicId(c.clinic_id, out);
  CheckItemCode(c.item_code, "item_code", out);
  if (c.reorder_level < 0) Add(out, "REORDER_LEVEL_NEGATIVE", "reorder_level", "must be 0 or more");
}

}  // namespace pharmacy
