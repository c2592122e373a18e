#include "klinik/event_types.h"

#include <stdexcept>

#include "klinik/v1/options.pb.h"
#include "klinik/v1/pharmacy.pb.h"
#include "klinik/v1/referral.pb.h"
#include "klinik/v1/registration.pb.h"
#include "klinik/v1/satusehat.pb.h"
#include "klinik/v1/screening.pb.h"

namespace klinik {

namespace pb = google::protobuf;

std::string_view CeTypeOfCase(const pb::FieldDescriptor& field) {
  return field.options().GetExtension(v1::ce_type);
}

const pb::OneofDescriptor* KindOf(const pb::Descriptor& wrapper) {
  return wrapper.FindOneofByName("kind");
}

std::string_view CeTypeOf(const pb::Message& wrapper) {
  const pb::OneofDescriptor* kind = KindOf(*wrapper.GetDescriptor());
  if (kind == nullptr) return {};
  const pb::FieldDescriptor* set = wrapper.GetReflection()->GetOneofFieldDescriptor(wrapper, kind);
  return set == nullptr ? std::string_view() : CeTypeOfCase(*set);
}

const pb::FieldDescriptor* FindCase(const pb::Descriptor& wrapper, std::string_view ce_type) {
  const pb::OneofDescriptor* kind = KindOf(wrapper);
  if (kind == nullptr || ce_type.empty()) return nullptr;
  for (int i = 0; i < kind->field_count(); ++i) {
    if (CeTypeOfCase(*kind->field(i)) == ce_type) return kind->field(i);
  }
  return nullptr;
}

std::string_view CeTypeOfCase(const pb::Descriptor& wrapper, int case_number) {
  const pb::FieldDescriptor* field = wrapper.FindFieldByNumber(case_number);
  if (field == nullptr || field->containing_oneof() != KindOf(wrapper) ||
      CeTypeOfCase(*field).empty()) {
    throw std::logic_error(wrapper.full_name() + " has no case " + std::to_string(case_number) +
                           " with a ce_type");
  }
  return CeTypeOfCase(*field);
}

namespace {

// The topic wrappers: one per topic (topics.h), each the only message of its stream.
std::vector<const pb::Descriptor*> Wrappers() {
  return {v1::RegistrationIntake::descriptor(), v1::PatientEvent::descriptor(),
          v1::ScreeningIntake::descriptor(),    v1::ScreeningEvent::descriptor(),
          v1::PharmacyIntake::descriptor(),     v1::PharmacyEvent::descriptor(),
          v1::ReferralIntake::descriptor(),     v1::ReferralEvent::descriptor(),
          v1::SatuSehatEvent::descriptor()};
}

std::vector<EventKind> Collect() {
  std::vector<EventKind> kinds;
  for (const pb::Descriptor* wrapper : Wrappers()) {
    const pb::OneofDescriptor* kind = KindOf(*wrapper);
    for (int i = 0; kind != nullptr && i < kind->field_count(); ++i) {
      kinds.push_back({wrapper, kind->field(i), CeTypeOfCase(*kind->field(i))});
    }
  }
  return kinds;
}

}  // namespace

const std::vector<EventKind>& AllEventKinds() {
  static const std::vector<EventKind> kinds = Collect();
  return kinds;
}

const EventKind* FindEventKind(std::string_view ce_type) {
  for (const EventKind& k : AllEventKinds()) {
    if (k.ce_type == ce_type) return &k;
  }
  return nullptr;
}

}  // namespace klinik
