#include "http_server.h"

#include <civetweb.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <mutex>

#include "klinik/config.h"
#include "klinik/log.h"

namespace klinik::sandbox {
namespace {

std::once_flag g_civetweb_init;

HttpRequest ReadRequest(mg_connection* conn) {
  const mg_request_info* info = mg_get_request_info(conn);
  HttpRequest request;
  request.method = info->request_method ? info->request_method : "";
  request.path = info->local_uri ? info->local_uri : "";
  request.query = info->query_string ? info->query_string : "";
  for (int i = 0; i < info->num_headers; ++i) {
    std::string name = info->http_headers[i].name ? info->http_headers[i].name : "";
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    request.headers[name] = info->http_headers[i].value ? info->http_headers[i].value : "";
  }
  char buffer[8192];
  int n = 0;
  while ((n = mg_read(conn, buffer, sizeof buffer)) > 0)
    request.body.append(buffer, static_cast<size_t>(n));
  return request;
}

void WriteResponse(mg_connection* conn, const HttpResponse& response) {
  mg_response_header_start(conn, response.status);
  if (!response.content_type.empty()) {
    mg_response_header_add(conn, "Content-Type", response.content_type.c_str(), -1);
  }
  std::string length = std::to_string(response.body.size());
  mg_response_header_add(conn, "Content-Length", length.c_str(), -1);
  for (const auto& [name, value] : response.headers) {
    mg_response_header_add(conn, name.c_str(), value.c_str(), -1);
  }
  mg_response_header_send(conn);
  // A client that gave up (timeout_after_store) makes this fail harmlessly.
  if (!response.body.empty()) mg_write(conn, response.body.data(), response.body.size());
}

}  // namespace

HttpServer::HttpServer(const std::string& listen, int threads, Sandbox& sandbox)
    : sandbox_(sandbox) {
  std::call_once(g_civetweb_init, [] { mg_init_library(0); });
  std::string thread_count = std::to_string(threads);
  // Keep-alive: the sync client reuses connections, as it would with the real gateway. No
  // Nagle: an answer is written as headers then body, and the second write would otherwise
  // wait for the client's delayed ACK (40 ms per request on a reused connection).
  const char* options[] = {"listening_ports",
                           listen.c_str(),
                           "num_threads",
                           thread_count.c_str(),
                           "enable_keep_alive",
                           "yes",
                           "keep_alive_timeout_ms",
                           "5000",
                           "tcp_nodelay",
                           "1",
                           nullptr};
  mg_callbacks callbacks{};
  context_ = mg_start(&callbacks, nullptr, options);
  if (context_ == nullptr) {
    throw ConfigError("KLINIK_SANDBOX_LISTEN: cannot listen on '" + listen +
                      "' (in use or malformed)");
  }
  mg_set_request_handler(context_, "/", &HttpServer::Handle, this);
  mg_server_port ports[4];
  if (mg_get_server_ports(context_, 4, ports) > 0) port_ = ports[0].port;
}

HttpServer::~HttpServer() {
  if (context_ != nullptr) mg_stop(context_);
}

int HttpServer::Handle(mg_connection* conn, void* self) {
  auto* server = static_cast<HttpServer*>(self);
  auto started = std::chrono::steady_clock::now();
  HttpRequest request = ReadRequest(conn);
  HttpResponse response = server->sandbox_.Handle(request);
  WriteResponse(conn, response);
  std::string request_id;
  for (const auto& [name, value] : response.headers) {
    if (name == "X-Request-Id") request_id = value;
  }
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  log::Info("request", {{"method", request.method},
                        {"path", request.path},
                        {"status", response.status},
                        {"request_id", request_id},
                        {"duration_ms", elapsed.count()}});
  return response.status;
}

}  // namespace klinik::sandbox
