// TypedHandler: "decode, check the ce_type, dispatch" written once. A service's handler names
// the wrapper each consumed topic carries and one function per oneof case it handles; the
// record is decoded once, its ce_type header checked against the case the payload holds, and
// the case's message handed to that function:
//
//   class IntakeHandler final : public klinik::TypedHandler {
//    public:
//     explicit IntakeHandler(const std::string& topic) {
//       Consume<v1::ScreeningIntake>(topic, UnknownKind::kDeadLetter);
//       On<v1::ScreeningIntake, v1::SubmitScreening>(
//           v1::ScreeningIntake::kSubmitScreening,
//           [this](const v1::SubmitScreening& s, const klinik::InboundEvent& e,
//                  klinik::OutboxWriter& out) { return Submit(s, e, out); });
//     }
//   };
//
// Outcomes decided here, before any handler runs (so before any state change):
//   value is not the topic's wrapper                  -> dead letter
//   payload holds case C, ce_type is not C's          -> dead letter (the header lies)
//   payload holds no case (empty, or a case newer than this build):
//     on a topic consumed with kDeadLetter (intake)   -> dead letter
//     on a topic consumed with kIgnore (facts)        -> ignored
//   payload holds a case with no function             -> ignored
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "klinik/event_types.h"
#include "klinik/processor.h"

namespace klinik {

class TypedHandler : public EventHandler {
 public:
  TypedHandler() = default;
  // The case functions usually capture the handler (`this`): a copy would call into the original.
  TypedHandler(const TypedHandler&) = delete;
  TypedHandler& operator=(const TypedHandler&) = delete;

  // What a payload without a case known to this build means on a topic.
  enum class UnknownKind {
    kDeadLetter,  // a request stream the service owns: the app sent something it cannot do
    kIgnore,      // a fact stream: a newer producer's kind this consumer does not act on
  };

  HandleResult Handle(const InboundEvent& event, OutboxWriter& out) final;

  // The decoded wrapper of `event` when it is the wrapper of its topic here and its ce_type
  // matches; nullptr otherwise. For Prepare overrides that look ahead at a batch.
  [[nodiscard]] std::unique_ptr<google::protobuf::Message> Decode(const InboundEvent& event) const;

 protected:
  template <class Msg>
  using CaseFn = std::function<HandleResult(const Msg&, const InboundEvent&, OutboxWriter&)>;

  // Records on `topic` carry `Wrapper`.
  template <class Wrapper>
  void Consume(const std::string& topic, UnknownKind unknown) {
    routes_[topic] = Route{Wrapper::descriptor(), &Wrapper::default_instance(), unknown};
  }

  // Records on every topic that no Consume names carry `Wrapper`: for a handler whose one topic
  // is configured where it is wired (AddConsumer is given the topic, the handler is not). The
  // consume loop hands a handler only the topics it subscribed it to.
  template <class Wrapper>
  void ConsumeSubscribed(UnknownKind unknown) {
    subscribed_ = Route{Wrapper::descriptor(), &Wrapper::default_instance(), unknown};
  }

  // `fn` handles case `case_number` (the generated `Wrapper::kCaseName`), whose message is Msg.
  template <class Wrapper, class Msg>
  void On(int case_number, CaseFn<Msg> fn) {
    static_assert(std::is_base_of_v<google::protobuf::Message, Msg>);
    const google::protobuf::FieldDescriptor* field = CaseField(*Wrapper::descriptor(), case_number);
    if (field->message_type() != Msg::descriptor()) {
      throw std::logic_error(field->full_name() + " does not hold a " + Msg::descriptor()->name());
    }
    cases_[field] = [fn = std::move(fn)](const google::protobuf::Message& m, const InboundEvent& e,
                                         OutboxWriter& out) {
      return fn(static_cast<const Msg&>(m), e, out);
    };
  }

 private:
  struct Route {
    const google::protobuf::Descriptor* wrapper;
    const google::protobuf::Message* prototype;
    UnknownKind unknown;
  };
  using AnyCaseFn = std::function<HandleResult(const google::protobuf::Message&,
                                               const InboundEvent&, OutboxWriter&)>;

  // The case field `case_number` of `wrapper`'s oneof kind; throws std::logic_error otherwise.
  static const google::protobuf::FieldDescriptor* CaseField(
      const google::protobuf::Descriptor& wrapper, int case_number);
  // The route of records on `topic`; nullptr when neither Consume nor ConsumeSubscribed set one.
  [[nodiscard]] const Route* RouteOf(std::string_view topic) const;

  std::map<std::string, Route, std::less<>> routes_;
  std::optional<Route> subscribed_;  // every topic routes_ does not name
  std::map<const google::protobuf::FieldDescriptor*, AnyCaseFn> cases_;
};

}  // namespace klinik
