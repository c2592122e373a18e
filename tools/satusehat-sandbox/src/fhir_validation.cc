#include "fhir_validation.h"

#include <algorithm>
#include <array>
#include <cctype>

#include "klinik/time_util.h"

namespace klinik::sandbox {
namespace {

using nlohmann::json;

// Elements of type dateTime/instant in the resources we accept; SatuSehat wants all of them in
// UTC with an explicit offset. Period.start/end cover Encounter.period and statusHistory.
constexpr std::array<std::string_view, 10> kDateTimeKeys = {
    "start",        "end",          "effectiveDateTime", "issued",     "onsetDateTime",
    "recordedDate", "whenPrepared", "whenHandedOver",    "authoredOn", "occurrenceDateTime"};

// Types whose references must point at something stored (or staged in the same bundle).
constexpr std::array<std::string_view, 6> kWritableTypes = {
    "Encounter", "Observation", "Condition", "Medication", "MedicationDispense", "ServiceRequest"};

// The string at `key`, or "" when it is missing or not a string (malformed input must never
// throw out of validation).
std::string Str(const json& object, std::string_view key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

bool OneOf(std::string_view value, std::initializer_list<std::string_view> allowed) {
  return std::find(allowed.begin(), allowed.end(), value) != allowed.end();
}

// Collects issues for one resource; every helper names the element by its FHIRPath.
class Checker {
 public:
  Checker(std::string_view type, std::string_view org_id, const ReferenceResolver& refs)
      : type_(type), org_id_(org_id), refs_(refs) {}

  void Add(IssueCode code, std::string expression, std::string text, std::string rule = "") {
    issues_.push_back({code, std::move(expression), std::move(text), std::move(rule)});
  }

  std::string Path(std::string_view rest) const {
    return rest.empty() ? type_ : type_ + "." + std::string(rest);
  }

  // The member at `key` when it has the wanted JSON type; a missing member is a "required"
  // issue, a present one of the wrong type an "invalid" one.
  const json* Need(const json& parent, std::string_view key, std::string_view path,
                   json::value_t kind) {
    auto it = parent.find(key);
    if (it == parent.end() || it->is_null()) {
      Add(IssueCode::kRequired, Path(path), Path(path) + " is required");
      return nullptr;
    }
    bool ok = it->type() == kind || (kind == json::value_t::number_float && it->is_number()) ||
              (kind == json::value_t::string && it->is_string());
    if (!ok || (it->is_string() && it->get_ref<const std::string&>().empty()) ||
        (it->is_array() && it->empty())) {
      Add(IssueCode::kInvalid, Path(path), Path(path) + " must be a non-empty " + KindName(kind));
      return nullptr;
    }
    return &*it;
  }

  const json* NeedObject(const json& parent, std::string_view key, std::string_view path) {
    return Need(parent, key, path, json::value_t::object);
  }
  const json* NeedArray(const json& parent, std::string_view key, std::string_view path) {
    return Need(parent, key, path, json::value_t::array);
  }
  std::optional<std::string> NeedString(const json& parent, std::string_view key,
                                        std::string_view path) {
    const json* v = Need(parent, key, path, json::value_t::string);
    if (v == nullptr) return std::nullopt;
    return v->get<std::string>();
  }

  void NeedCodeIn(const json& parent, std::string_view key, std::string_view path,
                  std::initializer_list<std::string_view> allowed) {
    auto value = NeedString(parent, key, path);
    if (value && !OneOf(*value, allowed)) {
      Add(IssueCode::kValue, Path(path), Path(path) + " '" + *value + "' is not an allowed code");
    }
  }

  // `parent.key.reference` must read "<type>/<id>"; existence is checked by CheckReferences.
  void NeedReference(const json& parent, std::string_view key, std::string_view path,
                     std::string_view target_type) {
    const json* holder = NeedObject(parent, key, path);
    if (holder == nullptr) return;
    std::string ref_path = std::string(path) + ".reference";
    auto ref = NeedString(*holder, "reference", ref_path);
    if (ref && !ref->starts_with(std::string(target_type) + "/")) {
      Add(IssueCode::kValue, Path(ref_path),
          Path(ref_path) + " must reference a " + std::string(target_type));
    }
  }

  // The first coding of `codeable` whose system is `system`, if any.
  static const json* CodingWithSystem(const json& codeable, std::string_view system) {
    auto codings = codeable.find("coding");
    if (codings == codeable.end() || !codings->is_array()) return nullptr;
    for (const json& coding : *codings) {
      if (coding.is_object() && Str(coding, "system") == system) return &coding;
    }
    return nullptr;
  }

  // `parent.key` is a CodeableConcept with a coding of `system` and a non-empty code.
  const json* NeedCoding(const json& parent, std::string_view key, std::string_view path,
                         std::string_view system) {
    const json* codeable = NeedObject(parent, key, path);
    if (codeable == nullptr) return nullptr;
    const json* coding = CodingWithSystem(*codeable, system);
    if (coding == nullptr) {
      Add(IssueCode::kRequired, Path(std::string(path) + ".coding"),
          Path(std::string(path)) + " needs a coding with system " + std::string(system));
      return nullptr;
    }
    if (!coding->contains("code") || !(*coding)["code"].is_string() ||
        (*coding)["code"].get_ref<const std::string&>().empty()) {
      Add(IssueCode::kRequired, Path(std::string(path) + ".coding.code"),
          Path(std::string(path)) + " coding of " + std::string(system) + " has no code");
      return nullptr;
    }
    return coding;
  }

  // identifier[] must hold one whose system is sys-ids/<kind>/<our org>.
  void NeedIdentifierOfKind(const json& resource, std::string_view kind) {
    std::string system = std::string(kSysIdsPrefix) + std::string(kind) + "/" + org_id_;
    auto ids = resource.find("identifier");
    if (ids != resource.end() && ids->is_array()) {
      for (const json& id : *ids) {
        if (id.is_object() && Str(id, "system") == system) return;
      }
    }
    Add(IssueCode::kRequired, Path("identifier"),
        Path("identifier") + " needs an identifier with system " + system);
  }

  // Every identifier: a system and a value; a facility-scoped system names our own org.
  void CheckIdentifiers(const json& resource) {
    auto ids = resource.find("identifier");
    if (ids == resource.end()) return;
    if (!ids->is_array()) {
      Add(IssueCode::kInvalid, Path("identifier"), Path("identifier") + " must be an array");
      return;
    }
    for (size_t i = 0; i < ids->size(); ++i) {
      const json& id = (*ids)[i];
      std::string path = "identifier[" + std::to_string(i) + "]";
      if (!id.is_object()) {
        Add(IssueCode::kInvalid, Path(path), Path(path) + " must be an object");
        continue;
      }
      auto system = NeedString(id, "system", path + ".system");
      (void)NeedString(id, "value", path + ".value");
      if (!system) continue;
      if (auto parsed = ParseSysIdsSystem(*system); parsed && parsed->org_id != org_id_) {
        Add(IssueCode::kValue, Path(path + ".system"),
            Path(path + ".system") + " names organization " + parsed->org_id +
                " but this client belongs to organization " + org_id_,
            std::string(kRuleForeignOrganization));
      }
    }
  }

  // Walks the whole resource: date-times, references and ICD-10 codings wherever they occur.
  void Walk(const json& node, const std::string& path) {
    if (node.is_array()) {
      for (size_t i = 0; i < node.size(); ++i) {
        Walk(node[i], path + "[" + std::to_string(i) + "]");
      }
      return;
    }
    if (!node.is_object()) return;
    for (const auto& [key, value] : node.items()) {
      std::string child = path.empty() ? key : path + "." + key;
      if (std::find(kDateTimeKeys.begin(), kDateTimeKeys.end(), key) != kDateTimeKeys.end()) {
        if (!value.is_string() || !IsUtcDateTime(value.get_ref<const std::string&>())) {
          Add(IssueCode::kValue, Path(child),
              Path(child) +
                  " must be a UTC date-time with an explicit offset, e.g. "
                  "2025-07-21T01:30:00+00:00");
        }
        continue;
      }
      if (key == "reference" && value.is_string()) {
        CheckReference(value.get_ref<const std::string&>(), child);
        continue;
      }
      if (key == "system" && value.is_string() &&
          value.get_ref<const std::string&>() == kIcd10System) {
        auto code = node.find("code");
        if (code == node.end() || !code->is_string() ||
            !IsIcd10Code(code->get_ref<const std::string&>())) {
          Add(IssueCode::kValue, Path(path + ".code"),
              Path(path + ".code") + " is not an ICD-10 code such as I10 or E11.9");
        }
        continue;
      }
      Walk(value, child);
    }
  }

  void CheckReference(const std::string& ref, const std::string& path) {
    if (ref.starts_with("urn:uuid:")) {
      Add(IssueCode::kValue, Path(path),
          Path(path) + " '" + ref + "' does not match any entry of the transaction");
      return;
    }
    auto slash = ref.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == ref.size()) {
      Add(IssueCode::kValue, Path(path), Path(path) + " must read <ResourceType>/<id>");
      return;
    }
    std::string_view target_type(ref.data(), slash);
    std::string_view id(ref.data() + slash + 1, ref.size() - slash - 1);
    if (target_type == "Patient") {
      if (!refs_.PatientKnown(id)) {
        Add(IssueCode::kValue, Path(path),
            Path(path) + " Patient/" + std::string(id) + " is not in the national index");
      }
    } else if (IsWritableType(target_type) && !refs_.ResourceExists(target_type, id)) {
      Add(IssueCode::kValue, Path(path), Path(path) + " " + ref + " does not exist");
    }
  }

  std::vector<Issue> Take() { return std::move(issues_); }

 private:
  static std::string KindName(json::value_t kind) {
    switch (kind) {
      case json::value_t::object:
        return "object";
      case json::value_t::array:
        return "array";
      case json::value_t::string:
        return "string";
      default:
        return "number";
    }
  }

  std::string type_;
  std::string org_id_;
  const ReferenceResolver& refs_;
  std::vector<Issue> issues_;
};

void ValidateEncounter(const json& r, Checker& c, std::string_view org_id) {
  c.NeedIdentifierOfKind(r, "encounter");
  auto status = Str(r, "status");
  c.NeedCodeIn(r, "status", "status",
               {"planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled",
                "entered-in-error", "unknown"});
  if (const json* cls = c.NeedObject(r, "class", "class")) {
    auto system = c.NeedString(*cls, "system", "class.system");
    (void)c.NeedString(*cls, "code", "class.code");
    if (system && *system != kActCodeSystem) {
      c.Add(IssueCode::kValue, c.Path("class.system"),
            c.Path("class.system") + " must be " + std::string(kActCodeSystem));
    }
  }
  c.NeedReference(r, "subject", "subject", "Patient");
  if (const json* history = c.NeedArray(r, "statusHistory", "statusHistory")) {
    for (size_t i = 0; i < history->size(); ++i) {
      std::string path = "statusHistory[" + std::to_string(i) + "]";
      const json& entry = (*history)[i];
      if (!entry.is_object()) continue;
      (void)c.NeedString(entry, "status", path + ".status");
      if (const json* period = c.NeedObject(entry, "period", path + ".period")) {
        (void)c.NeedString(*period, "start", path + ".period.start");
      }
    }
  }
  if (const json* participants = c.NeedArray(r, "participant", "participant")) {
    bool attender = false;
    for (const json& p : *participants) {
      if (!p.is_object()) continue;
      std::string ref = p.contains("individual") && p["individual"].is_object()
                            ? Str(p["individual"], "reference")
                            : "";
      bool atnd = false;
      if (auto types = p.find("type"); types != p.end() && types->is_array()) {
        for (const json& t : *types) {
          if (!t.is_object() || !t.contains("coding") || !t["coding"].is_array()) continue;
          for (const json& coding : t["coding"]) {
            if (coding.is_object() && Str(coding, "code") == "ATND") atnd = true;
          }
        }
      }
      if (atnd && ref.starts_with("Practitioner/") && ref.size() > 13) attender = true;
    }
    if (!attender) {
      c.Add(IssueCode::kRequired, c.Path("participant"),
            c.Path("participant") +
                " needs a participant of type ATND whose individual is a Practitioner/<ihs>");
    }
  }
  if (const json* period = c.NeedObject(r, "period", "period")) {
    (void)c.NeedString(*period, "start", "period.start");
    if (status == "finished") (void)c.NeedString(*period, "end", "period.end");
  }
  if (const json* locations = c.NeedArray(r, "location", "location")) {
    for (size_t i = 0; i < locations->size(); ++i) {
      if ((*locations)[i].is_object()) {
        c.NeedReference((*locations)[i], "location", "location[" + std::to_string(i) + "].location",
                        "Location");
      }
    }
  }
  c.NeedReference(r, "serviceProvider", "serviceProvider", "Organization");
  std::string provider = r.contains("serviceProvider") && r["serviceProvider"].is_object()
                             ? Str(r["serviceProvider"], "reference")
                             : "";
  if (provider.starts_with("Organization/") && provider != "Organization/" + std::string(org_id)) {
    c.Add(IssueCode::kValue, c.Path("serviceProvider.reference"),
          c.Path("serviceProvider.reference") + " must be this client's Organization/" +
              std::string(org_id),
          std::string(kRuleForeignOrganization));
  }
}

void ValidateObservation(const json& r, Checker& c) {
  c.NeedCodeIn(r, "status", "status",
               {"registered", "preliminary", "final", "amended", "corrected", "cancelled",
                "entered-in-error", "unknown"});
  (void)c.NeedArray(r, "category", "category");
  (void)c.NeedCoding(r, "code", "code", kLoincSystem);
  c.NeedReference(r, "subject", "subject", "Patient");
  c.NeedReference(r, "encounter", "encounter", "Encounter");
  (void)c.NeedString(r, "effectiveDateTime", "effectiveDateTime");
  if (auto q = r.find("valueQuantity"); q != r.end()) {
    if (!q->is_object()) {
      c.Add(IssueCode::kInvalid, c.Path("valueQuantity"),
            c.Path("valueQuantity") + " must be an object");
      return;
    }
    (void)c.Need(*q, "value", "valueQuantity.value", json::value_t::number_float);
    (void)c.NeedString(*q, "code", "valueQuantity.code");
    auto system = c.NeedString(*q, "system", "valueQuantity.system");
    if (system && *system != kUcumSystem) {
      c.Add(IssueCode::kValue, c.Path("valueQuantity.system"),
            c.Path("valueQuantity.system") + " must be " + std::string(kUcumSystem));
    }
    return;
  }
  for (std::string_view other : {"valueCodeableConcept", "valueString", "valueBoolean",
                                 "valueInteger", "valueRange", "valueRatio"}) {
    if (r.contains(other)) return;
  }
  c.Add(IssueCode::kRequired, c.Path("value[x]"),
        c.Path("valueQuantity") + " (or another value[x]) is required");
}

void ValidateCondition(const json& r, Checker& c) {
  (void)c.NeedArray(r, "category", "category");
  (void)c.NeedCoding(r, "code", "code", kIcd10System);
  c.NeedReference(r, "subject", "subject", "Patient");
  c.NeedReference(r, "encounter", "encounter", "Encounter");
}

void ValidateMedication(const json& r, Checker& c) {
  if (const json* coding = c.NeedCoding(r, "code", "code", kKfaSystem)) {
    std::string code = (*coding)["code"];
    if (!IsKfaCode(code)) {
      c.Add(IssueCode::kValue, c.Path("code.coding.code"),
            c.Path("code.coding.code") + " '" + code +
                "' is not a KFA product code (8 digits starting 93 or 94)");
    }
  }
  static const json kNoExtensions = json::array();
  const json& extensions =
      r.contains("extension") && r["extension"].is_array() ? r["extension"] : kNoExtensions;
  for (const json& ext : extensions) {
    if (!ext.is_object() || Str(ext, "url") != kMedicationTypeUrl) continue;
    const json* codeable =
        ext.contains("valueCodeableConcept") ? &ext["valueCodeableConcept"] : nullptr;
    const json* coding = codeable && codeable->is_object()
                             ? Checker::CodingWithSystem(*codeable, kMedicationTypeSystem)
                             : nullptr;
    if (coding == nullptr || !OneOf(Str(*coding, "code"), {"NC", "SD", "EP"})) {
      c.Add(IssueCode::kValue, c.Path("extension.valueCodeableConcept"),
            c.Path("extension") + " MedicationType must be coded NC, SD or EP in " +
                std::string(kMedicationTypeSystem));
    }
    return;
  }
  c.Add(IssueCode::kRequired, c.Path("extension"),
        c.Path("extension") + " needs the MedicationType extension " +
            std::string(kMedicationTypeUrl));
}

void ValidateMedicationDispense(const json& r, Checker& c) {
  c.NeedIdentifierOfKind(r, "prescription");
  c.NeedIdentifierOfKind(r, "prescription-item");
  c.NeedCodeIn(r, "status", "status",
               {"preparation", "in-progress", "cancelled", "on-hold", "completed",
                "entered-in-error", "stopped", "declined", "unknown"});
  c.NeedReference(r, "medicationReference", "medicationReference", "Medication");
  c.NeedReference(r, "subject", "subject", "Patient");
  c.NeedReference(r, "context", "context", "Encounter");
}

void ValidateServiceRequest(const json& r, Checker& c) {
  c.NeedIdentifierOfKind(r, "servicerequest");
  c.NeedCodeIn(
      r, "status", "status",
      {"draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"});
  c.NeedCodeIn(r, "intent", "intent",
               {"proposal", "plan", "directive", "order", "original-order", "reflex-order",
                "filler-order", "instance-order", "option"});
  if (const json* code = c.NeedObject(r, "code", "code"))
    (void)c.NeedArray(*code, "coding", "code.coding");
  c.NeedReference(r, "subject", "subject", "Patient");
  c.NeedReference(r, "encounter", "encounter", "Encounter");
}

}  // namespace

std::string_view IssueCodeName(IssueCode code) {
  switch (code) {
    case IssueCode::kInvalid:
      return "invalid";
    case IssueCode::kRequired:
      return "required";
    case IssueCode::kValue:
      return "value";
    case IssueCode::kDuplicate:
      return "duplicate";
    case IssueCode::kNotFound:
      return "not-found";
    case IssueCode::kNotSupported:
      return "not-supported";
  }
  return "invalid";
}

json OperationOutcome(const std::vector<Issue>& issues) {
  json list = json::array();
  for (const Issue& issue : issues) {
    json entry = {{"severity", "error"},
                  {"code", IssueCodeName(issue.code)},
                  {"details", {{"text", issue.text}}},
                  {"diagnostics",
                   issue.rule.empty() ? issue.text : "rule " + issue.rule + ": " + issue.text}};
    if (!issue.expression.empty()) entry["expression"] = json::array({issue.expression});
    list.push_back(std::move(entry));
  }
  return {{"resourceType", "OperationOutcome"}, {"issue", std::move(list)}};
}

bool IsWritableType(std::string_view type) {
  return std::find(kWritableTypes.begin(), kWritableTypes.end(), type) != kWritableTypes.end();
}

std::vector<Issue> ValidateResource(const json& resource, std::string_view type,
                                    std::string_view org_id, const ReferenceResolver& refs) {
  Checker c(type, org_id, refs);
  if (!resource.is_object()) {
    c.Add(IssueCode::kInvalid, std::string(type), "the body must be a JSON object");
    return c.Take();
  }
  if (Str(resource, "resourceType") != type) {
    c.Add(IssueCode::kInvalid, c.Path("resourceType"),
          "resourceType must be " + std::string(type) + " at this URL");
    return c.Take();
  }
  if (!IsWritableType(type)) {
    c.Add(IssueCode::kNotSupported, std::string(type),
          std::string(type) + " cannot be written through this API");
    return c.Take();
  }
  c.CheckIdentifiers(resource);
  c.Walk(resource, "");
  if (type == "Encounter") ValidateEncounter(resource, c, org_id);
  if (type == "Observation") ValidateObservation(resource, c);
  if (type == "Condition") ValidateCondition(resource, c);
  if (type == "Medication") ValidateMedication(resource, c);
  if (type == "MedicationDispense") ValidateMedicationDispense(resource, c);
  if (type == "ServiceRequest") ValidateServiceRequest(resource, c);
  return c.Take();
}

bool IsUtcDateTime(std::string_view text) {
  if (!ParseRfc3339(text)) return false;
  return text.ends_with("Z") || text.ends_with("+00:00");
}

bool IsIcd10Code(std::string_view code) {
  auto digit = [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; };
  if (code.size() < 3 || !std::isupper(static_cast<unsigned char>(code[0])) || !digit(code[1]) ||
      !(digit(code[2]) || code[2] == 'A' || code[2] == 'B')) {
    return false;
  }
  if (code.size() == 3) return true;
  if (code[3] != '.' || code.size() < 5 || code.size() > 8) return false;
  return std::all_of(code.begin() + 4, code.end(), [&](char ch) {
    return digit(ch) || std::isupper(static_cast<unsigned char>(ch));
  });
}

bool IsKfaCode(std::string_view code) {
  if (code.size() != 8) return false;
  if (!std::all_of(code.begin(), code.end(),
                   [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)) != 0; })) {
    return false;
  }
  return code.starts_with("93") || code.starts_with("94");
}

std::optional<SysIdsSystem> ParseSysIdsSystem(std::string_view system) {
  if (!system.starts_with(kSysIdsPrefix)) return std::nullopt;
  std::string_view rest = system.substr(kSysIdsPrefix.size());
  auto slash = rest.find('/');
  // "http://sys-ids.kemkes.go.id/kfa" is a code system, not a facility-scoped identifier.
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size())
    return std::nullopt;
  std::string_view org = rest.substr(slash + 1);
  if (org.find('/') != std::string_view::npos) return std::nullopt;
  return SysIdsSystem{std::string(rest.substr(0, slash)), std::string(org)};
}

std::string UniqueIdentifierSystem(std::string_view type, std::string_view org_id) {
  std::string kind;
  if (type == "Encounter") kind = "encounter";
  if (type == "Observation") kind = "observation";
  if (type == "Condition") kind = "condition";
  if (type == "Medication") kind = "medication";
  if (type == "MedicationDispense") kind = "prescription-item";
  if (type == "ServiceRequest") kind = "servicerequest";
  if (kind.empty()) return "";
  return std::string(kSysIdsPrefix) + kind + "/" + std::string(org_id);
}

std::optional<std::pair<std::string, std::string>> UniqueIdentifier(const json& resource,
                                                                    std::string_view type,
                                                                    std::string_view org_id) {
  std::string system = UniqueIdentifierSystem(type, org_id);
  auto ids = resource.find("identifier");
  if (system.empty() || ids == resource.end() || !ids->is_array()) return std::nullopt;
  for (const json& id : *ids) {
    if (id.is_object() && Str(id, "system") == system && id.contains("value") &&
        id["value"].is_string()) {
      return std::make_pair(system, id["value"].get<std::string>());
    }
  }
  return std::nullopt;
}

}  // namespace klinik::sandbox
