// The sandbox's memory: the seeded national index (patients and practitioners by NIK) and every
// resource clients created, in creation order. Not thread-safe: the Sandbox holds its lock around
// every call. Copyable on purpose: a transaction bundle works on a copy and swaps it in only when
// every entry succeeded (all-or-nothing).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fhir_validation.h"
#include "klinik/time_util.h"

namespace klinik::sandbox {

enum class PersonKind { kPatient, kPractitioner };
[[nodiscard]] std::string_view PersonKindName(PersonKind kind);
[[nodiscard]] std::optional<PersonKind> ParsePersonKind(std::string_view text);

struct Person {
  PersonKind kind = PersonKind::kPatient;
  std::string nik;  // 16 digits
  std::string ihs;  // the platform's id: "P…" for patients, "N…"/digits for practitioners
};

// A person entry of a seed file or of POST /_sandbox/seed; nullopt plus `error` when malformed.
[[nodiscard]] std::optional<Person> ParsePerson(const nlohmann::json& entry, std::string* error);

// True when `resource` has an identifier with this value, under `system` or, with `any_system`,
// under any system.
[[nodiscard]] bool HasIdentifier(const nlohmann::json& resource, std::string_view system,
                                 std::string_view value, bool any_system);

class ResourceStore final : public ReferenceResolver {
 public:
  // Adds or replaces the index entry for this NIK (a re-seed may correct the IHS number).
  void Seed(const Person& person);
  [[nodiscard]] std::optional<Person> FindByNik(PersonKind kind, std::string_view nik) const;
  [[nodiscard]] std::optional<Person> FindByIhs(PersonKind kind, std::string_view ihs) const;
  // The FHIR Patient/Practitioner resource the search and read endpoints return.
  [[nodiscard]] static nlohmann::json PersonResource(const Person& person);

  // Stores `resource` under a new UUID (version 1) and returns what was stored.
  nlohmann::json Create(std::string_view type, nlohmann::json resource, TimePoint now);
  // Same, with an id chosen by the caller (transaction entries get theirs before validation).
  nlohmann::json CreateWithId(std::string_view type, const std::string& id, nlohmann::json resource,
                              TimePoint now);
  // Replaces a stored resource (version + 1); nullopt when it does not exist.
  std::optional<nlohmann::json> Update(std::string_view type, const std::string& id,
                                       nlohmann::json resource, TimePoint now);
  [[nodiscard]] const nlohmann::json* Get(std::string_view type, std::string_view id) const;

  // Resources of `type` with an identifier matching system|value; an empty `system` with
  // `any_system` matches the value under every system.
  [[nodiscard]] std::vector<nlohmann::json> SearchByIdentifier(std::string_view type,
                                                               std::string_view system,
                                                               std::string_view value,
                                                               bool any_system) const;
  // The id of a stored resource of `type` holding exactly this identifier, if any.
  [[nodiscard]] std::optional<std::string> FindByIdentifier(std::string_view type,
                                                            std::string_view system,
                                                            std::string_view value) const;

  // Every stored resource of `type` (all types when empty), in creation order.
  [[nodiscard]] std::vector<nlohmann::json> List(std::string_view type) const;
  [[nodiscard]] std::map<std::string, size_t> CountsByType() const;
  // Forgets resources, keeps the seeded index.
  void ClearResources();

  [[nodiscard]] bool PatientKnown(std::string_view ihs) const override;
  [[nodiscard]] bool ResourceExists(std::string_view type, std::string_view id) const override;

 private:
  struct Key {
    std::string type;
    std::string id;
    auto operator<=>(const Key&) const = default;
  };

  // Records `resource`'s identifier values as candidates of the identifier searches.
  void IndexIdentifiers(const Key& key, const nlohmann::json& resource);

  std::map<std::string, Person> patients_by_nik_;
  std::map<std::string, Person> practitioners_by_nik_;
  std::map<std::string, std::string> patient_nik_by_ihs_;
  std::map<std::string, std::string> practitioner_nik_by_ihs_;
  std::map<Key, nlohmann::json> resources_;
  std::vector<Key> order_;          // creation order, for listings
  std::map<Key, size_t> position_;  // index in order_
  // (type, identifier value) → positions of the resources that hold (or held) it: the
  // candidates an identifier search checks, instead of every stored resource.
  std::map<std::pair<std::string, std::string>, std::set<size_t>> by_identifier_value_;
};

}  // namespace klinik::sandbox
