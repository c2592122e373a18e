// The NIK (Nomor Induk Kependudukan), DOMAIN.md: "PP KK CC DD MM YY SSSS", 16 digits, no check
// digit. DD carries sex (women +40). A NIK is never reissued, even when its date is wrong, so
// disagreements with the submitted birth date are warnings, not rejections.
//
//   NikCheck check = CheckNik("6472044506900001");
//   if (check.valid()) { check.parts->female(); check.parts->birth_day(); }
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace registration {

// The rules of DOMAIN.md a NIK can break.
enum class NikRule {
  kFormat,    // not exactly 16 ASCII digits (nothing else is checked then)
  kProvince,  // PP is not one of the 38 current provinces
  kDay,       // DD not in 01-31 or 41-71
  kMonth,     // MM not in 01-12
  kSerial,    // SSSS is 0000
};

struct NikParts {
  int province = 0;
  int regency = 0;
  int district = 0;
  int day_field = 0;  // DD as written (women +40)
  int month = 0;
  int year2 = 0;  // YY
  int serial = 0;

  [[nodiscard]] bool female() const { return day_field > 40; }
  [[nodiscard]] int birth_day() const { return female() ? day_field - 40 : day_field; }
};

struct NikCheck {
  std::vector<NikRule> broken;    // empty = valid
  std::optional<NikParts> parts;  // set whenever the format is right, even if a rule is broken
  [[nodiscard]] bool valid() const { return broken.empty(); }
};

[[nodiscard]] NikCheck CheckNik(std::string_view nik);

// Kemendagri province codes of the 38 provinces (2022 onwards): 11-19, 21, 31-36, 51-53,
// 61-65, 71-76, 81, 82, 91-96.
[[nodiscard]] bool IsKnownProvince(int code);

[[nodiscard]] bool IsAllDigits(std::string_view text);

}  // namespace registration
