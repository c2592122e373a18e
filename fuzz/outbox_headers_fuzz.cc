// The outbox's header encoding (klinik_outbox.header_bytes) over any bytes: a row read back from
// the database never crashes the relay. Properties: bytes it accepts encode and decode to the
// same headers; headers made from the input survive encode → decode unchanged.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "klinik/outbox.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  klinik::Headers decoded;
  if (klinik::DecodeHeaders(bytes, &decoded)) {
    klinik::Headers again;
    FUZZ_CHECK(klinik::DecodeHeaders(klinik::EncodeHeaders(decoded), &again));
    FUZZ_CHECK(again == decoded);
  } else {
    FUZZ_CHECK(decoded.empty());
  }
  FuzzedDataProvider input(data, size);
  klinik::Headers made;
  while (input.remaining_bytes() > 0 && made.size() < 32) {
    std::string name = input.ConsumeRandomLengthString();
    made.emplace_back(std::move(name), input.ConsumeRandomLengthString());
  }
  klinik::Headers back;
  FUZZ_CHECK(klinik::DecodeHeaders(klinik::EncodeHeaders(made), &back));
  FUZZ_CHECK(back == made);
  return 0;
}
