#include "klinik/typed_handler.h"

#include <optional>

namespace klinik {

namespace pb = google::protobuf;

namespace {

// Decoded, checked record, or why it is a dead letter / ignored.
struct Checked {
  std::unique_ptr<pb::Message> wrapper;
  const pb::FieldDescriptor* field = nullptr;  // the case the payload holds
  std::optional<HandleResult> verdict;         // set when no case function may run
};

Checked Check(const InboundEvent& event, const pb::Message& prototype,
              TypedHandler::UnknownKind unknown) {
  Checked c;
  const pb::Descriptor& d = *prototype.GetDescriptor();
  c.wrapper.reset(prototype.New());
  if (!c.wrapper->ParseFromString(event.message.value)) {
    c.verdict = HandleResult::DeadLetter("value is not a " + d.full_name());
    return c;
  }
  c.field = c.wrapper->GetReflection()->GetOneofFieldDescriptor(*c.wrapper, KindOf(d));
  if (c.field == nullptr) {
    c.verdict = unknown == TypedHandler::UnknownKind::kDeadLetter
                    ? HandleResult::DeadLetter(d.name() + " has no kind set (unknown or empty)")
                    : HandleResult::Ignored();
  } else if (event.ce.type != CeTypeOfCase(*c.field)) {
    // The header lets subscribers filter without decoding; one naming another kind than the
    // payload holds breaks the contract. Its text was checked to be short printable UTF-8.
    c.verdict = HandleResult::DeadLetter("ce_type '" + event.ce.type + "' does not match " +
                                         c.field->name());
  }
  return c;
}

}  // namespace

const TypedHandler::Route* TypedHandler::RouteOf(std::string_view topic) const {
  auto route = routes_.find(topic);
  if (route != routes_.end()) return &route->second;
  return subscribed_ ? &*subscribed_ : nullptr;
}

HandleResult TypedHandler::Handle(const InboundEvent& event, OutboxWriter& out) {
  const Route* route = RouteOf(event.message.topic);
  if (route == nullptr) {
    return HandleResult::DeadLetter("no contract is consumed from this topic here");
  }
  Checked c = Check(event, *route->prototype, route->unknown);
  if (c.verdict) return *std::move(c.verdict);
  auto fn = cases_.find(c.field);
  if (fn == cases_.end()) return HandleResult::Ignored();
  const pb::Message& payload = c.wrapper->GetReflection()->GetMessage(*c.wrapper, c.field);
  return fn->second(payload, event, out);
}

std::unique_ptr<pb::Message> TypedHandler::Decode(const InboundEvent& event) const {
  const Route* route = RouteOf(event.message.topic);
  if (route == nullptr) return nullptr;
  Checked c = Check(event, *route->prototype, route->unknown);
  if (c.verdict) return nullptr;
  return std::move(c.wrapper);
}

const pb::FieldDescriptor* TypedHandler::CaseField(const pb::Descriptor& wrapper, int case_number) {
  const pb::FieldDescriptor* field = wrapper.FindFieldByNumber(case_number);
  if (field == nullptr || field->containing_oneof() != KindOf(wrapper) ||
      field->message_type() == nullptr) {
    throw std::logic_error(wrapper.full_name() + " has no message case " +
                           std::to_string(case_number));
  }
  return field;
}

}  // namespace klinik
