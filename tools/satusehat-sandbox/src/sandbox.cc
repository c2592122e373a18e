#include "sandbox.h"

#include <algorithm>
#include <cctype>

#include "klinik/log.h"

namespace klinik::sandbox {

using nlohmann::json;

namespace {

HttpResponse Json(int status, const json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

HttpResponse Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.content_type = "text/plain";
  r.body = std::move(body);
  return r;
}

HttpResponse NoContent() {
  HttpResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

// A refused resource is logged by the elements it got wrong, never by content.
HttpResponse Outcome400(std::vector<Issue> issues) {
  json expressions = json::array();
  for (const Issue& issue : issues) expressions.push_back(issue.expression);
  log::Warn("resource refused", {{"issues", issues.size()}, {"expressions", expressions}});
  return Json(400, OperationOutcome(issues));
}

HttpResponse OutcomeStatus(int status, IssueCode code, std::string expression, std::string text) {
  return Json(status, OperationOutcome({{code, std::move(expression), std::move(text), ""}}));
}

HttpResponse ControlError(int status, std::string error) {
  return Json(status, {{"error", std::move(error)}});
}

// The gateway's (Apigee) answer to a missing, unknown or expired token.
HttpResponse Unauthorized(std::string_view errorcode) {
  return Json(
      401, {{"fault",
             {{"faultstring", "Invalid access token"}, {"detail", {{"errorcode", errorcode}}}}}});
}

// What the gateway answers when a fault of this status is injected.
HttpResponse FaultResponse(const Fault& fault) {
  HttpResponse r;
  switch (fault.status) {
    case 400:
      r = OutcomeStatus(400, IssueCode::kInvalid, "", "sandbox fault injection: request refused");
      break;
    case 401:
      r = Unauthorized("keymanagement.service.invalid_access_token");
      break;
    case 429:
      r = Text(429, "Too Many Requests");
      break;
    case 503:
      r = Text(503, "no healthy upstream");
      break;
    case 504:
      r = Text(504, "upstream request timeout");
      break;
    default:
      r = Text(fault.status, "sandbox fault injection: status " + std::to_string(fault.status));
  }
  if (fault.retry_after_s >= 0)
    r.headers.emplace_back("Retry-After", std::to_string(fault.retry_after_s));
  return r;
}

std::string StringAt(const json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

std::optional<json> ParseJson(const std::string& body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return std::nullopt;
  return parsed;
}

// Splits "/Encounter/abc/" into {"Encounter", "abc"}.
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    out.push_back(UrlDecode(path.substr(i, j - i)));
    i = j;
  }
  return out;
}

bool UnderPrefix(std::string_view path, std::string_view prefix) {
  return path == prefix || (path.starts_with(prefix) && path[prefix.size()] == '/');
}

std::string RandomToken() {
  // 28 alphanumerics, the length and alphabet of the real gateway's tokens.
  std::string token = NewUuid() + NewUuid();
  token.erase(std::remove(token.begin(), token.end(), '-'), token.end());
  token.resize(28);
  for (size_t i = 0; i < token.size(); i += 3) token[i] = static_cast<char>(std::toupper(token[i]));
  return token;
}

json SearchBundle(const std::vector<json>& resources, const std::string& base) {
  json entries = json::array();
  for (const json& r : resources) {
    entries.push_back(
        {{"fullUrl", base + "/" + r.value("resourceType", "") + "/" + r.value("id", "")},
         {"resource", r},
         {"search", {{"mode", "match"}}}});
  }
  return {{"resourceType", "Bundle"},
          {"type", "searchset"},
          {"total", resources.size()},
          {"entry", std::move(entries)}};
}

std::string BaseUrl(const HttpRequest& request) {
  auto host = request.headers.find("host");
  return "http://" + (host == request.headers.end() ? std::string("127.0.0.1") : host->second) +
         std::string(kFhirPrefix);
}

// Replaces every "reference" found in `map` (bundle fullUrl -> Type/id).
void RewriteReferences(json& node, const std::map<std::string, std::string>& map) {
  if (node.is_array()) {
    for (json& child : node) RewriteReferences(child, map);
    return;
  }
  if (!node.is_object()) return;
  for (auto& [key, value] : node.items()) {
    if (key == "reference" && value.is_string()) {
      auto it = map.find(value.get<std::string>());
      if (it != map.end()) value = it->second;
    } else {
      RewriteReferences(value, map);
    }
  }
}

// An issue of a bundle entry: its expression is re-rooted at the entry.
Issue InEntry(Issue issue, size_t index, std::string_view type) {
  std::string root = "Bundle.entry[" + std::to_string(index) + "].resource";
  if (issue.expression.starts_with(type)) {
    issue.expression = root + issue.expression.substr(type.size());
  } else {
    issue.expression = root;
  }
  issue.text = "entry " + std::to_string(index) + ": " + issue.text;
  return issue;
}

// The search's `identifier` parameter into `identifier`; an OperationOutcome for any other
// parameter (those starting with "_", like _count, are ignored).
std::optional<HttpResponse> IdentifierParameter(const HttpRequest& request, const std::string& type,
                                                std::optional<std::string>& identifier) {
  for (const auto& [key, value] : ParseQuery(request.query)) {
    if (key == "identifier") {
      identifier = value;
    } else if (!key.starts_with("_")) {
      return OutcomeStatus(400, IssueCode::kNotSupported, type,
                           "the sandbox searches " + type + " by identifier only, not by " + key);
    }
  }
  return std::nullopt;
}

}  // namespace

std::string UrlDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() &&
               std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= query.size()) {
    size_t j = query.find('&', i);
    if (j == std::string_view::npos) j = query.size();
    std::string_view part = query.substr(i, j - i);
    if (!part.empty()) {
      auto eq = part.find('=');
      if (eq == std::string_view::npos) {
        out.emplace_back(UrlDecode(part), "");
      } else {
        out.emplace_back(UrlDecode(part.substr(0, eq)), UrlDecode(part.substr(eq + 1)));
      }
    }
    i = j + 1;
  }
  return out;
}

Sandbox::Sandbox(SandboxOptions options, ClockFn clock)
    : options_(std::move(options)), clock_(std::move(clock)) {}

void Sandbox::Seed(const Person& person) {
  std::lock_guard lock(mutex_);
  store_.Seed(person);
}

void Sandbox::Stop() {
  {
    std::lock_guard lock(stop_mutex_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
}

bool Sandbox::Delay(std::chrono::milliseconds delay) {
  std::unique_lock lock(stop_mutex_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

HttpResponse Sandbox::Handle(const HttpRequest& request) {
  bool control = UnderPrefix(request.path, "/_sandbox");
  HttpResponse response = control ? HandleControl(request) : HandleApi(request);
  response.headers.emplace_back("X-Request-Id", NewUuid());
  if (!control) {
    std::lock_guard lock(mutex_);
    ++requests_by_status_[response.status];
  }
  return response;
}

HttpResponse Sandbox::HandleApi(const HttpRequest& request) {
  std::optional<Fault> fault;
  {
    std::lock_guard lock(mutex_);
    fault = faults_.TakeBeforeHandling(request.path);
    if (fault) ++faults_injected_;
  }
  if (fault && fault->kind == Fault::Kind::kStatus) return FaultResponse(*fault);
  if (fault && fault->kind == Fault::Kind::kSlow && !Delay(fault->delay)) {
    return Text(503, "sandbox stopping");
  }

  Outcome outcome;
  if (request.path == std::string(kOauthPrefix) + "/accesstoken") {
    outcome.response = HandleToken(request);
  } else if (UnderPrefix(request.path, kFhirPrefix)) {
    if (auto refused = CheckToken(request)) return *refused;
    outcome = HandleFhir(request);
  } else {
    return Text(404, "not found");
  }

  if (outcome.stored) {
    std::optional<Fault> after;
    {
      std::lock_guard lock(mutex_);
      after = faults_.TakeAfterStore(request.path);
      if (after) ++faults_injected_;
    }
    // The client is expected to give up meanwhile; the resource stays stored.
    if (after) (void)Delay(after->delay);
  }
  return outcome.response;
}

HttpResponse Sandbox::HandleToken(const HttpRequest& request) {
  if (request.method != "POST") return Text(405, "method not allowed");
  std::string grant_type;
  for (const auto& [k, v] : ParseQuery(request.query)) {
    if (k == "grant_type") grant_type = v;
  }
  if (grant_type != "client_credentials") {
    return Json(400, {{"ErrorCode", "invalid_request"},
                      {"Error", "Unsupported grant type : " + grant_type}});
  }
  std::string client_id, client_secret;
  for (const auto& [k, v] : ParseQuery(request.body)) {
    if (k == "client_id") client_id = v;
    if (k == "client_secret") client_secret = v;
  }
  if (client_id != options_.client_id || client_secret != options_.client_secret) {
    log::Warn("token refused: wrong client credentials");
    return Json(401, {{"fault",
                       {{"faultstring", "Invalid client identifier"},
                        {"detail", {{"errorcode", "oauth.v2.InvalidClientIdentifier"}}}}}});
  }
  TimePoint now = clock_();
  std::string token = RandomToken();
  {
    std::lock_guard lock(mutex_);
    tokens_[token] = now + options_.token_ttl;
    ++tokens_issued_;
  }
  return Json(200, {{"access_token", token},
                    {"token_type", "BearerToken"},
                    {"expires_in", std::to_string(options_.token_ttl.count())},
                    {"issued_at", std::to_string(ToUnixMillis(now))},
                    {"client_id", options_.client_id},
                    {"organization_name", options_.org_id},
                    {"status", "approved"}});
}

std::optional<HttpResponse> Sandbox::CheckToken(const HttpRequest& request) {
  auto header = request.headers.find("authorization");
  if (header == request.headers.end() || header->second.size() < 8) {
    return Unauthorized("keymanagement.service.invalid_access_token");
  }
  std::string scheme = header->second.substr(0, 7);
  std::transform(scheme.begin(), scheme.end(), scheme.begin(), ::tolower);
  if (scheme != "bearer ") return Unauthorized("keymanagement.service.invalid_access_token");
  std::string token = header->second.substr(7);
  std::lock_guard lock(mutex_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return Unauthorized("keymanagement.service.invalid_access_token");
  if (clock_() >= it->second) return Unauthorized("keymanagement.service.access_token_expired");
  return std::nullopt;
}

Sandbox::Outcome Sandbox::HandleFhir(const HttpRequest& request) {
  std::vector<std::string> parts =
      Segments(std::string_view(request.path).substr(kFhirPrefix.size()));
  const std::string& m = request.method;
  auto not_allowed = [&] {
    return Outcome{OutcomeStatus(405, IssueCode::kNotSupported, "",
                                 m + " is not supported on " + request.path)};
  };
  auto parse_body = [&](json* out) -> std::optional<HttpResponse> {
    auto parsed = ParseJson(request.body);
    if (!parsed) return OutcomeStatus(400, IssueCode::kInvalid, "", "the body is not valid JSON");
    *out = std::move(*parsed);
    return std::nullopt;
  };

  if (parts.empty()) {
    if (m != "POST") return not_allowed();
    json bundle;
    if (auto bad = parse_body(&bundle)) return {*bad};
    return Transaction(bundle);
  }
  const std::string& type = parts[0];
  if (type == "Patient" || type == "Practitioner") {
    PersonKind kind = type == "Patient" ? PersonKind::kPatient : PersonKind::kPractitioner;
    if (m != "GET" || parts.size() > 2) return not_allowed();
    if (parts.size() == 1) return {SearchPerson(request, kind)};
    std::lock_guard lock(mutex_);
    auto person = store_.FindByIhs(kind, parts[1]);
    if (!person)
      return {OutcomeStatus(404, IssueCode::kNotFound, type, type + "/" + parts[1] + " not found")};
    return {Json(200, ResourceStore::PersonResource(*person))};
  }
  if (!IsWritableType(type) || parts.size() > 2) {
    return {
        OutcomeStatus(404, IssueCode::kNotFound, "", "the sandbox does not serve " + request.path)};
  }
  if (parts.size() == 1) {
    if (m == "GET") return {Search(request, type)};
    if (m != "POST") return not_allowed();
    json body;
    if (auto bad = parse_body(&body)) return {*bad};
    return Create(type, body);
  }
  if (m == "GET") return {Read(type, parts[1])};
  if (m != "PUT") return not_allowed();
  json body;
  if (auto bad = parse_body(&body)) return {*bad};
  return Update(type, parts[1], body);
}

std::vector<Issue> Sandbox::DuplicateIssues(const ResourceStore& store, const std::string& type,
                                            const json& resource,
                                            const std::string& self_id) const {
  auto unique = UniqueIdentifier(resource, type, options_.org_id);
  if (!unique) return {};
  auto existing = store.FindByIdentifier(type, unique->first, unique->second);
  if (!existing || *existing == self_id) return {};
  return {{IssueCode::kDuplicate, type + ".identifier",
           "duplicate: " + type + " with identifier " + unique->first + "|" + unique->second +
               " already exists as " + type + "/" + *existing,
           std::string(kRuleDuplicate)}};
}

Sandbox::Outcome Sandbox::Create(const std::string& type, const json& body) {
  std::lock_guard lock(mutex_);
  std::vector<Issue> issues = ValidateResource(body, type, options_.org_id, store_);
  if (issues.empty()) issues = DuplicateIssues(store_, type, body, "");
  if (!issues.empty()) return {Outcome400(std::move(issues))};
  json stored = store_.Create(type, body, clock_());
  HttpResponse r = Json(201, stored);
  r.headers.emplace_back("Location", std::string(kFhirPrefix) + "/" + type + "/" +
                                         stored["id"].get<std::string>() + "/_history/1");
  return {std::move(r), true};
}

Sandbox::Outcome Sandbox::Update(const std::string& type, const std::string& id, const json& body) {
  std::lock_guard lock(mutex_);
  if (store_.Get(type, id) == nullptr) {
    return {OutcomeStatus(404, IssueCode::kNotFound, type, type + "/" + id + " not found")};
  }
  if (!body.is_object() || !body.contains("id") || body["id"] != id) {
    return {OutcomeStatus(400, IssueCode::kInvalid, type + ".id",
                          "the body of a PUT must carry the id of its URL (" + id + ")")};
  }
  std::vector<Issue> issues = ValidateResource(body, type, options_.org_id, store_);
  if (issues.empty()) issues = DuplicateIssues(store_, type, body, id);
  if (!issues.empty()) return {Outcome400(std::move(issues))};
  auto stored = store_.Update(type, id, body, clock_());
  return {Json(200, *stored), true};
}

HttpResponse Sandbox::Read(const std::string& type, const std::string& id) {
  std::lock_guard lock(mutex_);
  const json* found = store_.Get(type, id);
  if (found == nullptr)
    return OutcomeStatus(404, IssueCode::kNotFound, type, type + "/" + id + " not found");
  return Json(200, *found);
}

HttpResponse Sandbox::Search(const HttpRequest& request, const std::string& type) {
  std::optional<std::string> identifier;
  if (auto refused = IdentifierParameter(request, type, identifier)) return *refused;
  if (!identifier || identifier->empty()) {
    return OutcomeStatus(400, IssueCode::kRequired, type,
                         "search needs identifier=<system>|<value>");
  }
  auto bar = identifier->find('|');
  std::string system = bar == std::string::npos ? "" : identifier->substr(0, bar);
  std::string value = bar == std::string::npos ? *identifier : identifier->substr(bar + 1);
  std::lock_guard lock(mutex_);
  return Json(200,
              SearchBundle(store_.SearchByIdentifier(type, system, value, bar == std::string::npos),
                           BaseUrl(request)));
}

HttpResponse Sandbox::SearchPerson(const HttpRequest& request, PersonKind kind) {
  std::string type = kind == PersonKind::kPatient ? "Patient" : "Practitioner";
  std::optional<std::string> identifier;
  if (auto refused = IdentifierParameter(request, type, identifier)) return *refused;
  auto bar = identifier ? identifier->find('|') : std::string::npos;
  if (!identifier || bar == std::string::npos) {
    return OutcomeStatus(400, IssueCode::kRequired, type,
                         "search needs identifier=" + std::string(kNikSystem) + "|<NIK>");
  }
  std::string system = identifier->substr(0, bar);
  std::string value = identifier->substr(bar + 1);
  std::vector<json> found;
  std::lock_guard lock(mutex_);
  std::optional<Person> person;
  if (system == kNikSystem) person = store_.FindByNik(kind, value);
  if (system == kIhsSystem) person = store_.FindByIhs(kind, value);
  if (person) found.push_back(ResourceStore::PersonResource(*person));
  return Json(200, SearchBundle(found, BaseUrl(request)));
}

struct TransactionEntry {
  std::string type, id, method;  // method: POST (id generated) or PUT
  json resource;
};

namespace {

// Entry `i` of a transaction as a write, or nullopt with an issue when it is malformed.
std::optional<TransactionEntry> PlanEntry(const json& entry, size_t i, std::vector<Issue>& issues) {
  std::string at = "Bundle.entry[" + std::to_string(i) + "]";
  auto fail = [&](std::string expression, std::string text) {
    issues.push_back(
        {IssueCode::kInvalid, at + expression, "entry " + std::to_string(i) + ": " + text, ""});
    return std::nullopt;
  };
  if (!entry.is_object() || !entry.contains("resource") || !entry["resource"].is_object() ||
      !entry.contains("request") || !entry["request"].is_object()) {
    return fail("", "an entry needs a resource and a request");
  }
  const json& req = entry["request"];
  std::string method = StringAt(req, "method");
  std::string url = StringAt(req, "url");
  std::vector<std::string> url_parts = Segments(url.substr(0, url.find('?')));
  std::string type = StringAt(entry["resource"], "resourceType");
  if (!IsWritableType(type)) {
    return fail(".resource.resourceType", "resourceType '" + type + "' cannot be written");
  }
  TransactionEntry p{type, "", method, entry["resource"]};
  if (method == "POST" && url_parts.size() == 1 && url_parts[0] == type) {
    p.id = NewUuid();
  } else if (method == "PUT" && url_parts.size() == 2 && url_parts[0] == type) {
    p.id = url_parts[1];
  } else {
    return fail(".request", "request must be POST <Type> or PUT <Type>/<id> matching the resource");
  }
  return p;
}

// The writes of a transaction's entries, references between them (by fullUrl) rewritten to
// Type/id; an issue for each malformed entry.
std::vector<TransactionEntry> PlanTransaction(const json& entries, std::vector<Issue>& issues) {
  std::vector<TransactionEntry> planned;
  std::map<std::string, std::string> full_urls;
  for (size_t i = 0; i < entries.size(); ++i) {
    const json& entry = entries[i];
    std::optional<TransactionEntry> p = PlanEntry(entry, i, issues);
    if (!p) continue;
    if (entry.contains("fullUrl") && entry["fullUrl"].is_string()) {
      full_urls[entry["fullUrl"].get<std::string>()] = p->type + "/" + p->id;
    }
    planned.push_back(std::move(*p));
  }
  for (TransactionEntry& p : planned) RewriteReferences(p.resource, full_urls);
  return planned;
}

// An entry of the transaction-response bundle.
json EntryResponse(const std::string& status, const TransactionEntry& p, const std::string& version,
                   TimePoint now) {
  return {{"response",
           {{"status", status},
            {"location", p.type + "/" + p.id + "/_history/" + version},
            {"etag", "W/\"" + version + "\""},
            {"lastModified", FormatFhirDateTime(now)}}},
          {"resource", {{"resourceType", p.type}, {"id", p.id}}}};
}

}  // namespace

json Sandbox::StageTransaction(ResourceStore& staged, const std::vector<TransactionEntry>& entries,
                               TimePoint now, std::vector<Issue>& issues) const {
  json responses = json::array();
  for (size_t i = 0; i < entries.size(); ++i) {
    const TransactionEntry& p = entries[i];
    if (p.method == "POST") {
      for (Issue& issue : DuplicateIssues(staged, p.type, p.resource, "")) {
        issues.push_back(InEntry(std::move(issue), i, p.type));
      }
      staged.CreateWithId(p.type, p.id, p.resource, now);
      responses.push_back(EntryResponse("201 Created", p, "1", now));
      continue;
    }
    if (staged.Get(p.type, p.id) == nullptr || p.resource.value("id", json()) != p.id) {
      issues.push_back({IssueCode::kInvalid, "Bundle.entry[" + std::to_string(i) + "].request",
                        "entry " + std::to_string(i) + ": PUT " + p.type + "/" + p.id +
                            " needs an existing resource and a body with that id",
                        ""});
      responses.push_back(json::object());
      continue;
    }
    for (Issue& issue : DuplicateIssues(staged, p.type, p.resource, p.id)) {
      issues.push_back(InEntry(std::move(issue), i, p.type));
    }
    json stored = *staged.Update(p.type, p.id, p.resource, now);
    std::string version = stored["meta"]["versionId"];
    responses.push_back(EntryResponse("200 OK", p, version, now));
  }
  return responses;
}

Sandbox::Outcome Sandbox::Transaction(const json& bundle) {
  if (!bundle.is_object() || bundle.value("resourceType", json()) != "Bundle" ||
      bundle.value("type", json()) != "transaction") {
    return {OutcomeStatus(400, IssueCode::kInvalid, "Bundle.type",
                          "POST to the FHIR base needs a Bundle of type transaction")};
  }
  auto entries_it = bundle.find("entry");
  if (entries_it == bundle.end() || !entries_it->is_array() || entries_it->empty()) {
    return {
        OutcomeStatus(400, IssueCode::kRequired, "Bundle.entry", "the transaction has no entries")};
  }
  std::vector<Issue> issues;
  std::vector<TransactionEntry> planned = PlanTransaction(*entries_it, issues);
  if (!issues.empty()) return {Outcome400(std::move(issues))};

  std::lock_guard lock(mutex_);
  // Work on a copy: entries may reference each other in any order, and a failure anywhere
  // must leave the real store untouched.
  ResourceStore staged = store_;
  json responses = StageTransaction(staged, planned, clock_(), issues);
  // Validate once everything is staged, so references between entries resolve.
  for (size_t i = 0; i < planned.size(); ++i) {
    for (Issue& issue :
         ValidateResource(planned[i].resource, planned[i].type, options_.org_id, staged)) {
      issues.push_back(InEntry(std::move(issue), i, planned[i].type));
    }
  }
  if (!issues.empty()) return {Outcome400(std::move(issues))};
  store_ = std::move(staged);
  return {
      Json(200,
           {{"resourceType", "Bundle"}, {"type", "transaction-response"}, {"entry", responses}}),
      true};
}

HttpResponse Sandbox::HandleControl(const HttpRequest& request) {
  const std::string& m = request.method;
  const std::string& path = request.path;
  if (path == "/_sandbox/health" && m == "GET") return Json(200, {{"status", "ok"}});
  if (path == "/_sandbox/seed" && m == "POST") return SeedIndex(request);
  if (path == "/_sandbox/faults" && (m == "DELETE" || m == "GET" || m == "POST"))
    return HandleFaults(request);
  if (path == "/_sandbox/resources" && m == "GET") return ListResources(request);
  if (path == "/_sandbox/stats" && m == "GET") {
    std::lock_guard lock(mutex_);
    return Json(200, Stats());
  }
  if (path == "/_sandbox/reset" && m == "POST") return Reset();
  return ControlError(404, "no control endpoint " + m + " " + path);
}

// POST /_sandbox/seed: one person or a list; all or none are added.
HttpResponse Sandbox::SeedIndex(const HttpRequest& request) {
  auto body = ParseJson(request.body);
  if (!body) return ControlError(400, "the body is not valid JSON");
  json list = body->is_array() ? *body : json::array({*body});
  std::vector<Person> people;
  for (const json& entry : list) {
    std::string error;
    auto person = ParsePerson(entry, &error);
    if (!person) return ControlError(400, error);
    people.push_back(*person);
  }
  std::lock_guard lock(mutex_);
  for (const Person& person : people) store_.Seed(person);
  log::Info("index seeded", {{"people", people.size()}});
  return NoContent();
}

// /_sandbox/faults: DELETE clears the plan, GET lists it, POST queues a fault (expire_tokens
// acts at once instead).
HttpResponse Sandbox::HandleFaults(const HttpRequest& request) {
  if (request.method == "DELETE") {
    std::lock_guard lock(mutex_);
    faults_.Clear();
    log::Info("faults cleared");
    return NoContent();
  }
  if (request.method == "GET") {
    std::lock_guard lock(mutex_);
    return Json(200, {{"faults", faults_.ToJson()}});
  }
  auto body = ParseJson(request.body);
  if (!body) return ControlError(400, "the body is not valid JSON");
  std::string error;
  auto fault = ParseFault(*body, &error);
  if (!fault) return ControlError(400, error);
  std::lock_guard lock(mutex_);
  if (fault->kind == Fault::Kind::kExpireTokens) {
    TimePoint now = clock_();
    for (auto& [token, expiry] : tokens_) expiry = std::min(expiry, now);
    log::Info("every issued token expired", {{"tokens", tokens_.size()}});
  } else {
    log::Info("fault queued", {{"fault", FaultToJson(*fault)}});
    faults_.Add(*fault);
  }
  return NoContent();
}

// GET /_sandbox/resources[?type=T][&identifier=system|value]: what was stored.
HttpResponse Sandbox::ListResources(const HttpRequest& request) {
  std::string type, system, value;
  bool by_identifier = false;
  for (const auto& [k, v] : ParseQuery(request.query)) {
    if (k == "type") type = v;
    if (k == "identifier") {
      by_identifier = true;
      auto bar = v.find('|');
      system = bar == std::string::npos ? "" : v.substr(0, bar);
      value = bar == std::string::npos ? v : v.substr(bar + 1);
    }
  }
  if (!type.empty() && !IsWritableType(type))
    return ControlError(400, "unknown resource type " + type);
  std::lock_guard lock(mutex_);
  std::vector<json> list = store_.List(type);
  if (by_identifier) {
    std::erase_if(list,
                  [&](const json& r) { return !HasIdentifier(r, system, value, system.empty()); });
  }
  return Json(200, {{"count", list.size()}, {"resources", list}});
}

// POST /_sandbox/reset: resources, faults and counters cleared; the seeded index is kept.
HttpResponse Sandbox::Reset() {
  std::lock_guard lock(mutex_);
  store_.ClearResources();
  faults_.Clear();
  requests_by_status_.clear();
  tokens_issued_ = 0;
  faults_injected_ = 0;
  log::Info("sandbox reset");
  return NoContent();
}

json Sandbox::Stats() const {
  json by_status = json::object();
  int64_t total = 0;
  for (const auto& [status, n] : requests_by_status_) {
    by_status[std::to_string(status)] = n;
    total += n;
  }
  json by_type = json::object();
  for (const auto& [type, n] : store_.CountsByType()) by_type[type] = n;
  return {{"requests_by_status", std::move(by_status)}, {"requests_total", total},
          {"resources_by_type", std::move(by_type)},    {"tokens_issued", tokens_issued_},
          {"faults_pending", faults_.size()},           {"faults_injected", faults_injected_}};
}

}  // namespace klinik::sandbox
