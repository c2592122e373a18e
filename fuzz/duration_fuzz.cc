// ParseDuration (every KLINIK_* duration setting) over any text: it either returns a
// non-negative duration or throws std::invalid_argument; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string_view>

#include "fuzz_check.h"
#include "klinik/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    std::chrono::milliseconds d = klinik::ParseDuration(text);
    FUZZ_CHECK(d.count() >= 0);
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
