// The event-type registry: every topic wrapper's `oneof kind` case carries its CloudEvents
// ce_type as the (klinik.v1.ce_type) option (proto/klinik/v1/options.proto), and this header
// reads it through the generated descriptors. No ce_type is spelled outside proto/:
//
//   std::string_view t = klinik::CeType<ScreeningEvent>(ScreeningEvent::kScreeningCompleted);
//   out.Publish(topic, key, subject, event);  // ce_type from the case `event` holds
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

namespace klinik {

// The ce_type option of `field` (a wrapper's oneof case); empty when it has none.
[[nodiscard]] std::string_view CeTypeOfCase(const google::protobuf::FieldDescriptor& field);

// The ce_type of the case set in `wrapper`; empty when no case is set.
[[nodiscard]] std::string_view CeTypeOf(const google::protobuf::Message& wrapper);

// The case of `wrapper` whose ce_type is `ce_type`; nullptr when the wrapper has none.
[[nodiscard]] const google::protobuf::FieldDescriptor* FindCase(
    const google::protobuf::Descriptor& wrapper, std::string_view ce_type);

// The wrapper's `oneof kind` (every topic carries one wrapper with one such oneof); nullptr when
// the message is not a wrapper.
[[nodiscard]] const google::protobuf::OneofDescriptor* KindOf(
    const google::protobuf::Descriptor& wrapper);

// The ce_type of case `case_number` (the generated `Wrapper::kCaseName` constant) of Wrapper.
// Throws std::logic_error when there is no such case or it has no ce_type: a programming error.
[[nodiscard]] std::string_view CeTypeOfCase(const google::protobuf::Descriptor& wrapper,
                                            int case_number);
template <class Wrapper>
[[nodiscard]] std::string_view CeType(int case_number) {
  return CeTypeOfCase(*Wrapper::descriptor(), case_number);
}

// One event kind of the contracts.
struct EventKind {
  const google::protobuf::Descriptor* wrapper;     // e.g. klinik.v1.ScreeningEvent
  const google::protobuf::FieldDescriptor* field;  // the oneof case, e.g. screening_completed
  std::string_view ce_type;
};

// Every event kind of every topic wrapper in klinik.v1, wrapper by wrapper in case order: for
// tools (klinikctl lists and publishes them) and for the test that the registry is whole.
[[nodiscard]] const std::vector<EventKind>& AllEventKinds();

// The kind whose ce_type is `ce_type`; nullptr when there is none.
[[nodiscard]] const EventKind* FindEventKind(std::string_view ce_type);

}  // namespace klinik
