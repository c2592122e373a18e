#include "satusehat_client.h"

#include <thread>

#include "klinik/log.h"
#include "klinik/metrics.h"

namespace satusehat_sync {

namespace {

std::once_flag g_curl_init;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The path without its query: query strings carry NIKs, which never go to the log.
std::string PathForLog(const std::string& url) { return url.substr(0, url.find('?')); }

}  // namespace

// One libcurl easy handle; reused so the connection (and TLS session) stays open.
class Curl {
 public:
  Curl() {
    std::call_once(g_curl_init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    handle_ = curl_easy_init();
    if (handle_ == nullptr) throw std::runtime_error("curl_easy_init failed");
  }
  ~Curl() { curl_easy_cleanup(handle_); }
  Curl(const Curl&) = delete;
  Curl& operator=(const Curl&) = delete;

  HttpResponse Perform(const std::string& method, const std::string& url,
                       const std::vector<std::string>& headers, const std::string* body,
                       Millis timeout) {
    HttpResponse r;
    curl_easy_reset(handle_);  // keeps the connection cache, clears the previous request's options
    curl_easy_setopt(handle_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(handle_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(handle_, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(handle_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(handle_, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(handle_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(handle_, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (body != nullptr) {
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDS, body->data());
      curl_easy_setopt(handle_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body->size()));
    } else if (method == "GET") {
      curl_easy_setopt(handle_, CURLOPT_HTTPGET, 1L);
    }
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(handle_, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(handle_, CURLOPT_WRITEFUNCTION, &Curl::OnBody);
    curl_easy_setopt(handle_, CURLOPT_WRITEDATA, &r);
    curl_easy_setopt(handle_, CURLOPT_HEADERFUNCTION, &Curl::OnHeader);
    curl_easy_setopt(handle_, CURLOPT_HEADERDATA, &r);
    CURLcode rc = curl_easy_perform(handle_);
    curl_slist_free_all(list);
    if (rc != CURLE_OK) {
      r.transport_failed = true;
      r.error = curl_easy_strerror(rc);
      // Only a failure before the connection existed proves nothing was sent.
      r.maybe_sent = !(rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
                       rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_SSL_CONNECT_ERROR ||
                       rc == CURLE_PEER_FAILED_VERIFICATION);
      return r;
    }
    long code = 0;
    curl_easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &code);
    r.status = static_cast<int>(code);
    r.json = nlohmann::json::parse(r.body, nullptr, false);
    if (r.json.is_discarded()) r.json = nullptr;
    return r;
  }

 private:
  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<HttpResponse*>(user)->body.append(data, size * n);
    return size * n;
  }
  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* r = static_cast<HttpResponse*>(user);
    std::string line(data, size * n);
    size_t colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = Lower(line.substr(0, colon));
      std::string value = line.substr(colon + 1);
      size_t b = value.find_first_not_of(" \t");
      size_t e = value.find_last_not_of(" \t\r\n");
      value = b == std::string::npos ? "" : value.substr(b, e - b + 1);
      if (name == "x-request-id") r->request_id = value;
      if (name == "retry-after") r->retry_after = ParseRetryAfter(value);
    } else if (line.rfind("HTTP/", 0) == 0) {
      // A new response (after a redirect or 100-continue): forget the previous one's headers.
      r->request_id.clear();
      r->retry_after.reset();
    }
    return size * n;
  }

  CURL* handle_ = nullptr;
};

ClientMetrics ClientMetrics::Register(klinik::Metrics& metrics) {
  ClientMetrics m;
  m.responses = &metrics.AddCounter("klinik_satusehat_responses_total",
                                    "SatuSehat HTTP answers by status code (timeout/error: none)");
  m.token_refreshes = &metrics
                           .AddCounter("klinik_satusehat_token_refreshes_total",
                                       "OAuth tokens requested from SatuSehat")
                           .Add({});
  return m;
}

void ClientMetrics::Response(const std::string& code) const {
  if (responses != nullptr) responses->Add({{"code", code}}).Increment();
}

TokenProvider::TokenProvider(const Settings& settings, ClientMetrics metrics)
    : settings_(settings),
      metrics_(metrics),
      bucket_(settings.rate, std::max(1.0, settings.rate)) {}

void TokenProvider::Throttle() {
  for (;;) {
    Millis wait;
    {
      std::lock_guard lock(mutex_);
      wait = bucket_.TryTake(std::chrono::steady_clock::now());
    }
    if (wait.count() == 0) return;
    std::this_thread::sleep_for(wait);
  }
}

std::optional<std::string> TokenProvider::Get(Curl& curl, HttpResponse* failure) {
  std::lock_guard lock(mutex_);
  auto now = std::chrono::steady_clock::now();
  if (!token_.empty() && now < renew_at_) return token_;
  if (now < login_blocked_until_) {
    *failure = last_login_failure_;
    return std::nullopt;
  }
  std::string form = "client_id=" + SatuSehatClient::Escape(settings_.client_id) +
                     "&client_secret=" + SatuSehatClient::Escape(settings_.client_secret);
  HttpResponse r =
      curl.Perform("POST", settings_.auth_url + "/accesstoken?grant_type=client_credentials",
                   {"Content-Type: application/x-www-form-urlencoded"}, &form, settings_.timeout);
  if (metrics_.token_refreshes != nullptr) metrics_.token_refreshes->Increment();
  metrics_.Response(r.transport_failed ? "none" : std::to_string(r.status));
  std::optional<AccessToken> token;
  if (!r.transport_failed && r.status == 200) token = AccessToken::Parse(r.json);
  if (!token) {
    klinik::log::Error("SatuSehat login failed",
                       {{"http_status", r.status},
                        {"x_request_id", r.request_id},
                        {"error", r.error},
                        {"cooldown_ms", settings_.login_cooldown.count()}});
    // A refused login (wrong secret) waits for the cooldown; an unreachable gateway does not.
    if (!r.transport_failed && r.status < 500)
      login_blocked_until_ = now + settings_.login_cooldown;
    r.body.clear();  // never keep what the gateway echoed about the credentials
    if (!r.transport_failed && r.status == 200)
      r.status = 502;  // a 200 without a token is a gateway fault
    last_login_failure_ = r;
    *failure = r;
    token_.clear();
    return std::nullopt;
  }
  token_ = token->value;
  renew_at_ = token->RenewAt(now);
  klinik::log::Info("SatuSehat token obtained", {{"expires_in_s", token->expires_in.count()}});
  return token_;
}

void TokenProvider::Invalidate(const std::string& token) {
  std::lock_guard lock(mutex_);
  if (token_ == token) token_.clear();
}

SatuSehatClient::SatuSehatClient(const Settings& settings, TokenProvider& tokens,
                                 ClientMetrics metrics)
    : settings_(settings), tokens_(tokens), metrics_(metrics), curl_(std::make_unique<Curl>()) {}

SatuSehatClient::~SatuSehatClient() = default;

HttpResponse SatuSehatClient::Get(const std::string& path) { return Send("GET", path, nullptr); }

HttpResponse SatuSehatClient::Post(const std::string& path, const nlohmann::json& body) {
  std::string text = body.dump();
  return Send("POST", path, &text);
}

HttpResponse SatuSehatClient::Put(const std::string& path, const nlohmann::json& body) {
  std::string text = body.dump();
  return Send("PUT", path, &text);
}

HttpResponse SatuSehatClient::Send(const std::string& method, const std::string& path,
                                   const std::string* body) {
  const std::string url = settings_.fhir_url + "/" + path;
  HttpResponse r;
  // One fresh login after a 401 (an expired or revoked token), then the answer stands.
  for (int attempt = 0; attempt < 2; ++attempt) {
    HttpResponse failure;
    std::optional<std::string> token = tokens_.Get(*curl_, &failure);
    if (!token) return failure;
    tokens_.Throttle();
    r = curl_->Perform(method, url,
                       {"Authorization: Bearer " + *token, "Content-Type: application/json",
                        "Accept: application/json"},
                       body, settings_.timeout);
    metrics_.Response(r.transport_failed ? "none" : std::to_string(r.status));
    if (r.transport_failed || r.status != 401) break;
    tokens_.Invalidate(*token);
  }
  if (r.transport_failed || r.status >= 300) {
    klinik::log::Warn("SatuSehat request failed", {{"method", method},
                                                   {"path", PathForLog(path)},
                                                   {"http_status", r.status},
                                                   {"x_request_id", r.request_id},
                                                   {"error", r.error},
                                                   {"maybe_sent", r.maybe_sent}});
  }
  return r;
}

}  // namespace satusehat_sync
