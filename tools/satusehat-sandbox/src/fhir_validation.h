// What the sandbox refuses, and why: the checks SATUSEHAT.md lists as required by the real
// platform, as pure functions over nlohmann::json so they are unit-tested without a server.
//
//   std::vector<Issue> issues = ValidateResource(body, "Encounter", "10000004", resolver);
//   if (!issues.empty()) reply 400 with OperationOutcome(issues);
//
// Each problem becomes one Issue (FHIR OperationOutcome.issue) naming the element with a FHIRPath
// expression, so a client's logs say exactly which field of its mapping is wrong.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace klinik::sandbox {

inline constexpr std::string_view kSysIdsPrefix = "http://sys-ids.kemkes.go.id/";
inline constexpr std::string_view kNikSystem = "https://fhir.kemkes.go.id/id/nik";
inline constexpr std::string_view kIhsSystem = "https://fhir.kemkes.go.id/id/ihs-number";
inline constexpr std::string_view kLoincSystem = "http://loinc.org";
inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";
inline constexpr std::string_view kIcd10System = "http://hl7.org/fhir/sid/icd-10";
inline constexpr std::string_view kKfaSystem = "http://sys-ids.kemkes.go.id/kfa";
inline constexpr std::string_view kActCodeSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr std::string_view kMedicationTypeUrl =
    "https://fhir.kemkes.go.id/r4/StructureDefinition/MedicationType";
inline constexpr std::string_view kMedicationTypeSystem =
    "http://terminology.kemkes.go.id/CodeSystem/medication-type";

// The platform's rule numbers that clients may see in diagnostics.
inline constexpr std::string_view kRuleForeignOrganization = "10117";
inline constexpr std::string_view kRuleDuplicate = "20002";

// FHIR IssueType codes the sandbox uses.
enum class IssueCode { kInvalid, kRequired, kValue, kDuplicate, kNotFound, kNotSupported };
[[nodiscard]] std::string_view IssueCodeName(IssueCode code);

struct Issue {
  IssueCode code = IssueCode::kInvalid;
  std::string expression;  // FHIRPath of the offending element, e.g. "Encounter.subject.reference"
  std::string text;        // one line for a person
  std::string rule;        // the platform's rule number when there is one ("10117", "20002")
};

// {"resourceType":"OperationOutcome","issue":[{severity, code, details.text, diagnostics,
// expression}]}; diagnostics repeats the text prefixed with "rule <n>: " when a rule applies.
[[nodiscard]] nlohmann::json OperationOutcome(const std::vector<Issue>& issues);

// What validation needs to know about stored state; the store implements it.
class ReferenceResolver {
 public:
  virtual ~ReferenceResolver() = default;
  // True when `ihs` is a Patient of the seeded national index.
  [[nodiscard]] virtual bool PatientKnown(std::string_view ihs) const = 0;
  // True when a resource of this type with this id is stored (or staged in the same bundle).
  [[nodiscard]] virtual bool ResourceExists(std::string_view type, std::string_view id) const = 0;
};

// The six resource types clients may create, read, update and search.
[[nodiscard]] bool IsWritableType(std::string_view type);

// Validates one resource of `type` as the platform would for the client of `org_id`.
// Returns no issues when it is acceptable (duplicates are the store's concern, see
// UniqueIdentifier).
[[nodiscard]] std::vector<Issue> ValidateResource(const nlohmann::json& resource,
                                                  std::string_view type, std::string_view org_id,
                                                  const ReferenceResolver& refs);

// ---- building blocks, exposed for unit tests ----

// "2025-07-21T01:30:00+00:00" or "...Z" (fractions allowed); local offsets and bare dates are not.
[[nodiscard]] bool IsUtcDateTime(std::string_view text);
// "I10", "E11.9", "R73.9": a letter, two digits, optionally a dot and 1-4 more characters.
[[nodiscard]] bool IsIcd10Code(std::string_view code);
// 8 digits with prefix 93 (actual product) or 94 (packaged product).
[[nodiscard]] bool IsKfaCode(std::string_view code);

// "http://sys-ids.kemkes.go.id/encounter/10000004" -> {kind "encounter", org "10000004"}.
struct SysIdsSystem {
  std::string kind;
  std::string org_id;
};
[[nodiscard]] std::optional<SysIdsSystem> ParseSysIdsSystem(std::string_view system);

// The identifier system a resource of `type` is unique by for `org_id` (rule 20002):
// Encounter -> sys-ids/encounter/<org>, MedicationDispense -> sys-ids/prescription-item/<org>
// (several dispenses share one prescription identifier), etc.
[[nodiscard]] std::string UniqueIdentifierSystem(std::string_view type, std::string_view org_id);
// (system, value) of that identifier in `resource`, if it carries one.
[[nodiscard]] std::optional<std::pair<std::string, std::string>> UniqueIdentifier(
    const nlohmann::json& resource, std::string_view type, std::string_view org_id);

}  // namespace klinik::sandbox
