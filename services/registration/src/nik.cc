#include "nik.h"

namespace registration {
namespace {

int TwoDigits(std::string_view s, size_t at) { return (s[at] - '0') * 10 + (s[at + 1] - '0'); }

}  // namespace

bool IsAllDigits(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool IsKnownProvince(int code) {
  return (code >= 11 && code <= 19) || code == 21 || (code >= 31 && code <= 36) ||
         (code >= 51 && code <= 53) || (code >= 61 && code <= 65) || (code >= 71 && code <= 76) ||
         code == 81 || code == 82 || (code >= 91 && code <= 96);
}

NikCheck CheckNik(std::string_view nik) {
  NikCheck check;
  if (nik.size() != 16 || !IsAllDigits(nik)) {
    check.broken.push_back(NikRule::kFormat);
    return check;
  }
  NikParts p;
  p.province = TwoDigits(nik, 0);
  p.regency = TwoDigits(nik, 2);
  p.district = TwoDigits(nik, 4);
  p.day_field = TwoDigits(nik, 6);
  p.month = TwoDigits(nik, 8);
  p.year2 = TwoDigits(nik, 10);
  p.serial = TwoDigits(nik, 12) * 100 + TwoDigits(nik, 14);
  if (!IsKnownProvince(p.province)) check.broken.push_back(NikRule::kProvince);
  bool day_ok = (p.day_field >= 1 && p.day_field <= 31) || (p.day_field >= 41 && p.day_field <= 71);
  if (!day_ok) check.broken.push_back(NikRule::kDay);
  if (p.month < 1 || p.month > 12) check.broken.push_back(NikRule::kMonth);
  if (p.serial == 0) check.broken.push_back(NikRule::kSerial);
  check.parts = p;
  return check;
}

}  // namespace registration
