// registration's SearchPatients page token (DecodePageToken) over any text. Property: only tokens
// EncodePageToken makes are accepted, so an accepted token encodes back to itself.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "page_token.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view token(reinterpret_cast<const char*>(data), size);
  if (std::optional<registration::SearchKey> key = registration::DecodePageToken(token)) {
    FUZZ_CHECK(registration::EncodePageToken(*key) == token);
  }
  return 0;
}
