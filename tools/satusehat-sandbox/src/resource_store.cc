#include "resource_store.h"

#include <algorithm>
#include <cctype>

namespace klinik::sandbox {

using nlohmann::json;

std::string_view PersonKindName(PersonKind kind) {
  return kind == PersonKind::kPatient ? "patient" : "practitioner";
}

std::optional<PersonKind> ParsePersonKind(std::string_view text) {
  if (text == "patient") return PersonKind::kPatient;
  if (text == "practitioner") return PersonKind::kPractitioner;
  return std::nullopt;
}

std::optional<Person> ParsePerson(const json& entry, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<Person> {
    *error = std::move(why);
    return std::nullopt;
  };
  if (!entry.is_object()) return fail("each seed entry must be an object {kind, nik, ihs}");
  auto text = [&](const char* key) {
    auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  auto kind = ParsePersonKind(text("kind"));
  if (!kind) return fail("kind must be \"patient\" or \"practitioner\"");
  std::string nik = text("nik");
  // Never echo the value: it is a NIK (personal data) and error texts end up in logs.
  if (nik.size() != 16 || !std::all_of(nik.begin(), nik.end(), [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0;
      })) {
    return fail("nik must be 16 digits");
  }
  std::string ihs = text("ihs");
  if (ihs.empty() || ihs.find('/') != std::string::npos) {
    return fail("ihs must be a non-empty id without '/'");
  }
  return Person{*kind, nik, ihs};
}

void ResourceStore::Seed(const Person& person) {
  bool patient = person.kind == PersonKind::kPatient;
  auto& index = patient ? patients_by_nik_ : practitioners_by_nik_;
  auto& by_ihs = patient ? patient_nik_by_ihs_ : practitioner_nik_by_ihs_;
  if (auto it = index.find(person.nik); it != index.end()) by_ihs.erase(it->second.ihs);
  index[person.nik] = person;
  by_ihs[person.ihs] = person.nik;
}

std::optional<Person> ResourceStore::FindByNik(PersonKind kind, std::string_view nik) const {
  const auto& index = kind == PersonKind::kPatient ? patients_by_nik_ : practitioners_by_nik_;
  auto it = index.find(std::string(nik));
  if (it == index.end()) return std::nullopt;
  return it->second;
}

std::optional<Person> ResourceStore::FindByIhs(PersonKind kind, std::string_view ihs) const {
  bool patient = kind == PersonKind::kPatient;
  const auto& by_ihs = patient ? patient_nik_by_ihs_ : practitioner_nik_by_ihs_;
  auto it = by_ihs.find(std::string(ihs));
  if (it == by_ihs.end()) return std::nullopt;
  return FindByNik(kind, it->second);
}

json ResourceStore::PersonResource(const Person& person) {
  bool patient = person.kind == PersonKind::kPatient;
  json identifiers = json::array(
      {{{"use", "official"},
        {"system", patient ? kIhsSystem : "https://fhir.kemkes.go.id/id/nakes-his-number"},
        {"value", person.ihs}},
       {{"use", "official"}, {"system", kNikSystem}, {"value", person.nik}}});
  return {{"resourceType", patient ? "Patient" : "Practitioner"},
          {"id", person.ihs},
          {"active", true},
          {"identifier", std::move(identifiers)},
          {"meta", {{"versionId", "1"}}}};
}

namespace {

void Stamp(json& resource, std::string_view type, const std::string& id, int version,
           TimePoint now) {
  resource["resourceType"] = type;
  resource["id"] = id;
  resource["meta"] = {{"versionId", std::to_string(version)},
                      {"lastUpdated", FormatFhirDateTime(now)}};
}

int VersionOf(const json& resource) {
  try {
    return std::stoi(resource.at("meta").at("versionId").get<std::string>());
  } catch (const std::exception&) {
    return 1;
  }
}

}  // namespace

json ResourceStore::Create(std::string_view type, json resource, TimePoint now) {
  return CreateWithId(type, NewUuid(), std::move(resource), now);
}

json ResourceStore::CreateWithId(std::string_view type, const std::string& id, json resource,
                                 TimePoint now) {
  Stamp(resource, type, id, 1, now);
  Key key{std::string(type), id};
  resources_[key] = resource;
  position_[key] = order_.size();
  order_.push_back(key);
  IndexIdentifiers(key, resource);
  return resource;
}

std::optional<json> ResourceStore::Update(std::string_view type, const std::string& id,
                                          json resource, TimePoint now) {
  auto it = resources_.find(Key{std::string(type), id});
  if (it == resources_.end()) return std::nullopt;
  Stamp(resource, type, id, VersionOf(it->second) + 1, now);
  it->second = resource;
  IndexIdentifiers(it->first, resource);
  return resource;
}

const json* ResourceStore::Get(std::string_view type, std::string_view id) const {
  auto it = resources_.find(Key{std::string(type), std::string(id)});
  return it == resources_.end() ? nullptr : &it->second;
}

bool HasIdentifier(const json& resource, std::string_view system, std::string_view value,
                   bool any_system) {
  auto ids = resource.find("identifier");
  if (ids == resource.end() || !ids->is_array()) return false;
  for (const json& id : *ids) {
    if (!id.is_object() || !id.contains("value") || !id["value"].is_string()) continue;
    if (id["value"].get_ref<const std::string&>() != value) continue;
    if (any_system) return true;
    std::string id_system =
        id.contains("system") && id["system"].is_string() ? id["system"].get<std::string>() : "";
    if (id_system == system) return true;
  }
  return false;
}

void ResourceStore::IndexIdentifiers(const Key& key, const json& resource) {
  auto ids = resource.find("identifier");
  if (ids == resource.end() || !ids->is_array()) return;
  size_t pos = position_.at(key);
  for (const json& id : *ids) {
    if (!id.is_object() || !id.contains("value") || !id["value"].is_string()) continue;
    by_identifier_value_[{key.type, id["value"].get<std::string>()}].insert(pos);
  }
}

std::vector<json> ResourceStore::SearchByIdentifier(std::string_view type, std::string_view system,
                                                    std::string_view value, bool any_system) const {
  std::vector<json> found;
  auto candidates = by_identifier_value_.find({std::string(type), std::string(value)});
  if (candidates == by_identifier_value_.end()) return found;
  // Positions ascend: creation order. A resource updated since may no longer hold the value.
  for (size_t pos : candidates->second) {
    const json& resource = resources_.at(order_[pos]);
    if (HasIdentifier(resource, system, value, any_system)) found.push_back(resource);
  }
  return found;
}

std::optional<std::string> ResourceStore::FindByIdentifier(std::string_view type,
                                                           std::string_view system,
                                                           std::string_view value) const {
  auto candidates = by_identifier_value_.find({std::string(type), std::string(value)});
  if (candidates == by_identifier_value_.end()) return std::nullopt;
  for (size_t pos : candidates->second) {
    if (HasIdentifier(resources_.at(order_[pos]), system, value, false)) return order_[pos].id;
  }
  return std::nullopt;
}

std::vector<json> ResourceStore::List(std::string_view type) const {
  std::vector<json> out;
  for (const Key& key : order_) {
    if (type.empty() || key.type == type) out.push_back(resources_.at(key));
  }
  return out;
}

std::map<std::string, size_t> ResourceStore::CountsByType() const {
  std::map<std::string, size_t> counts;
  for (const Key& key : order_) ++counts[key.type];
  return counts;
}

void ResourceStore::ClearResources() {
  resources_.clear();
  order_.clear();
  position_.clear();
  by_identifier_value_.clear();
}

bool ResourceStore::PatientKnown(std::string_view ihs) const {
  return FindByIhs(PersonKind::kPatient, ihs).has_value();
}

bool ResourceStore::ResourceExists(std::string_view type, std::string_view id) const {
  return Get(type, id) != nullptr;
}

}  // namespace klinik::sandbox
