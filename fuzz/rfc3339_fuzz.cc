// ParseRfc3339 and ParseCivilDate over any text. Properties: an accepted instant formats back to
// text that parses to the same instant (to the millisecond the format keeps), also in SatuSehat's
// form, and an accepted date formats back to the very same text.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "klinik/time_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  if (std::optional<klinik::TimePoint> t = klinik::ParseRfc3339(text)) {
    auto millis = std::chrono::floor<std::chrono::milliseconds>(*t);
    std::optional<klinik::TimePoint> again = klinik::ParseRfc3339(klinik::FormatRfc3339(*t, true));
    FUZZ_CHECK(again && *again == millis);
    FUZZ_CHECK(klinik::ParseRfc3339(klinik::FormatFhirDateTime(*t)).has_value());
    (void)klinik::ToCivilDate(*t);
  }

  if (std::optional<klinik::CivilDate> date = klinik::ParseCivilDate(text)) {
    FUZZ_CHECK(klinik::FormatCivilDate(*date) == text);
  }
  return 0;
}
