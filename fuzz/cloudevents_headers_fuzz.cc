// ParseCloudEventHeaders over any list of Kafka headers. The input is a sequence of
// name/value strings in FuzzedDataProvider's form (each ended by a backslash and one other
// byte; "\\" is a literal backslash), so seeds stay readable. Property: what it accepts, written
// back with AppendCloudEventHeaders, parses to the same event.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "klinik/cloudevents.h"

namespace {

bool SameEvent(const klinik::CloudEvent& a, const klinik::CloudEvent& b) {
  return a.id == b.id && a.source == b.source && a.type == b.type && a.time == b.time &&
         a.subject == b.subject && a.content_type == b.content_type &&
         a.traceparent == b.traceparent;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider input(data, size);
  klinik::Headers headers;
  while (input.remaining_bytes() > 0 && headers.size() < 64) {
    std::string name = input.ConsumeRandomLengthString();
    headers.emplace_back(std::move(name), input.ConsumeRandomLengthString());
  }
  std::string error;
  std::optional<klinik::CloudEvent> event = klinik::ParseCloudEventHeaders(headers, &error);
  if (!event) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  klinik::Headers written;
  klinik::AppendCloudEventHeaders(*event, written);
  std::optional<klinik::CloudEvent> again = klinik::ParseCloudEventHeaders(written, &error);
  FUZZ_CHECK(again && SameEvent(*event, *again));
  (void)klinik::ChildTraceparent(event->traceparent);
  return 0;
}
