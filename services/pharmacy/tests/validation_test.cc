// Request validation: KFA codes and the reason codes each malformed field earns.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>

#include "facts.h"
#include "validation.h"

namespace pharmacy {
namespace {

struct CodeCase {
  std::string code;
  bool dispensable;
};

class KfaCodeTest : public ::testing::TestWithParam<CodeCase> {};

TEST_P(KfaCodeTest, OnlyEightDigitProductOrPackageCodes) {
  EXPECT_EQ(IsDispensableKfaCode(GetParam().code), GetParam().dispensable) << GetParam().code;
}

INSTANTIATE_TEST_SUITE_P(Codes, KfaCodeTest,
                         ::testing::Values(CodeCase{"93000001", true}, CodeCase{"94123456", true},
                                           CodeCase{"91000001", false},  // active ingredient
                                           CodeCase{"92000001", false},  // generic template
                                           CodeCase{"9300001", false}, CodeCase{"930000012", false},
                                           CodeCase{"9300000A", false}, CodeCase{"", false},
                                           CodeCase{" 9300001", false}));

std::vector<std::string> Codes(const Reasons& reasons) {
  std::vector<std::string> out;
  for (const auto& r : reasons) out.push_back(r.code + "@" + r.field);
  return out;
}

TEST(ValidateReceive, ReportsEveryProblemWithItsField) {
  ReceiveCommand c{"", "", "12345678", "x", "", "2027-02-30", 0, "", "", 0};
  Reasons reasons;
  ValidateReceive(c, LocalCalendar{}, reasons);
  EXPECT_THAT(Codes(reasons), ::testing::UnorderedElementsAre(
                                  "REQUEST_ID_MISSING@request_id", "CLINIC_ID_MISSING@clinic_id",
                                  "ITEM_CODE_FORMAT@item_code", "LOT_NUMBER_MISSING@lot_number",
                                  "EXPIRY_DATE_FORMAT@expiry_date",
                                  "QUANTITY_NOT_POSITIVE@quantity", "UNIT_MISSING@unit"));
}

TEST(ValidateReceive, ExpiryIsJudgedOnTheClinicsCalendar) {
  // 2026-11-23T18:00Z is already 2026-11-24 in WIB: a lot expiring on the 23rd is expired.
  int64_t at = klinik::ToUnixMillis(*klinik::ParseRfc3339("2026-11-23T18:00:00Z"));
  ReceiveCommand c{"r", "c", "93000001", "x", "L", "2026-11-23", 5, "TAB", "", at};
  Reasons reasons;
  ValidateReceive(c, LocalCalendar{7 * 60}, reasons);
  EXPECT_THAT(Codes(reasons), ::testing::ElementsAre("EXPIRY_IN_PAST@expiry_date"));
  reasons.clear();
  ValidateReceive(c, LocalCalendar{0}, reasons);
  EXPECT_TRUE(reasons.empty());
}

// Found by fuzz/pharmacy_intake: a received_at in 2315 overflowed when its day was taken and
// came back as a day in the 19th century, so an expired lot passed as usable.
TEST(ValidateReceive, AReceivedAtNoClockCanHoldIsJudgedOnTheLastDayOneCan) {
  google::protobuf::Timestamp received_at;
  received_at.set_seconds(10895276104);
  int64_t at = TimestampMs(received_at, 0);
  EXPECT_EQ(at, klinik::ToUnixMillis(*klinik::ParseRfc3339("2261-12-31T23:59:59.999Z")));
  ReceiveCommand c{"r", "c", "93000001", "x", "L", "2027-06-30", 5, "TAB", "", at};
  Reasons reasons;
  ValidateReceive(c, LocalCalendar{}, reasons);
  EXPECT_THAT(Codes(reasons), ::testing::ElementsAre("EXPIRY_IN_PAST@expiry_date"));
  received_at.set_seconds(std::numeric_limits<int64_t>::max());
  EXPECT_EQ(TimestampMs(received_at, 0), at);
}

TEST(ValidateDispense, NamesTheOffendingLine) {
  DispenseCommand c{"r", "c", "not-a-uuid", "", {{1, "93000001", 1}, {1, "91000001", 0}}, "123", 0};
  Reasons reasons;
  ValidateDispense(c, reasons);
  EXPECT_THAT(
      Codes(reasons),
      ::testing::UnorderedElementsAre(
          "PATIENT_ID_FORMAT@patient_id", "PRESCRIPTION_ID_MISSING@prescription_id",
          "STAFF_ID_FORMAT@dispensed_by", "LINE_NO_INVALID@lines[1].line_no",
          "ITEM_CODE_FORMAT@lines[1].item_code", "QUANTITY_NOT_POSITIVE@lines[1].quantity"));
  reasons.clear();
  ValidateDispense(DispenseCommand{"r", "c", klinik::NewUuid(), "rx", {}, "3201010101010001", 0},
                   reasons);
  EXPECT_THAT(Codes(reasons), ::testing::ElementsAre("LINES_MISSING@lines"));
}

TEST(ValidateRecallAndReorder, CheckTheirFields) {
  Reasons reasons;
  ValidateRecall(RecallCommand{"r", "9300000", "", "", 0}, reasons);
  EXPECT_THAT(Codes(reasons), ::testing::ElementsAre("ITEM_CODE_FORMAT@item_code",
                                                     "LOT_NUMBER_MISSING@lot_number"));
  reasons.clear();
  ValidateReorderLevel(ReorderLevelCommand{"r", "c", "94000001", -1}, reasons);
  EXPECT_THAT(Codes(reasons), ::testing::ElementsAre("REORDER_LEVEL_NEGATIVE@reorder_level"));
}

}  // namespace
}  // namespace pharmacy
