// NIK decoding: the parts of "PP KK CC DD MM YY SSSS" and the province list of DOMAIN.md.
#include "nik.h"

#include <gtest/gtest.h>

namespace registration {
namespace {

TEST(CheckNik, DecodesEveryPartOfAWomansNik) {
  NikCheck check = CheckNik("3201015506900002");
  ASSERT_TRUE(check.valid());
  ASSERT_TRUE(check.parts);
  EXPECT_EQ(check.parts->province, 32);
  EXPECT_EQ(check.parts->regency, 1);
  EXPECT_EQ(check.parts->district, 1);
  EXPECT_EQ(check.parts->day_field, 55);
  EXPECT_TRUE(check.parts->female());
  EXPECT_EQ(check.parts->birth_day(), 15);
  EXPECT_EQ(check.parts->month, 6);
  EXPECT_EQ(check.parts->year2, 90);
  EXPECT_EQ(check.parts->serial, 2);
}

TEST(CheckNik, AMansDayIsTakenAsWritten) {
  NikCheck check = CheckNik("6472040106909999");
  ASSERT_TRUE(check.valid());
  EXPECT_FALSE(check.parts->female());
  EXPECT_EQ(check.parts->birth_day(), 1);
  EXPECT_EQ(check.parts->serial, 9999);
}

TEST(CheckNik, ABadFormatStopsFurtherChecks) {
  NikCheck check = CheckNik("00000000000000");
  EXPECT_EQ(check.broken, std::vector<NikRule>{NikRule::kFormat});
  EXPECT_FALSE(check.parts);
}

TEST(CheckNik, PartsAreKeptWhenARuleIsBroken) {
  NikCheck check = CheckNik("6472041513900001");
  EXPECT_EQ(check.broken, std::vector<NikRule>{NikRule::kMonth});
  ASSERT_TRUE(check.parts);
  EXPECT_EQ(check.parts->month, 13);
}

TEST(IsKnownProvince, AcceptsExactlyThe38Provinces) {
  int known = 0;
  for (int code = 0; code <= 99; ++code) known += IsKnownProvince(code) ? 1 : 0;
  EXPECT_EQ(known, 38);
  for (int code : {11, 19, 21, 31, 36, 51, 53, 61, 65, 71, 76, 81, 82, 91, 96}) {
    EXPECT_TRUE(IsKnownProvince(code)) << code;
  }
  for (int code : {10, 20, 22, 30, 37, 50, 54, 60, 66, 70, 77, 80, 83, 90, 97}) {
    EXPECT_FALSE(IsKnownProvince(code)) << code;
  }
}

}  // namespace
}  // namespace registration
