// screening's ListScreenings page token (DecodeCursor) over any text. Property: the position it
// decodes survives another encode and decode unchanged.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "screening_store.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  std::optional<screening::ListCursor> cursor = screening::DecodeCursor(token);
  if (!cursor) return 0;
  std::optional<screening::ListCursor> again =
      screening::DecodeCursor(screening::EncodeCursor(*cursor));
  FUZZ_CHECK(again && again->measured_at_ms == cursor->measured_at_ms &&
             again->screening_id == cursor->screening_id);
  return 0;
}
