// The sandbox on civetweb: moves bytes between sockets and Sandbox::Handle and writes one JSON
// log line per request (method, path without the query string, status, request id, duration;
// never a body or a query, which may carry a NIK).
#pragma once

#include <string>

#include "sandbox.h"

struct mg_context;
struct mg_connection;

namespace klinik::sandbox {

class HttpServer {
 public:
  // Starts serving; throws ConfigError naming KLINIK_SANDBOX_LISTEN when it cannot listen.
  HttpServer(const std::string& listen, int threads, Sandbox& sandbox);
  // Stops accepting and waits for running requests (call Sandbox::Stop() first so delayed
  // requests end promptly).
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  [[nodiscard]] int port() const { return port_; }

 private:
  static int Handle(mg_connection* conn, void* self);

  Sandbox& sandbox_;
  mg_context* context_ = nullptr;
  int port_ = 0;
};

}  // namespace klinik::sandbox
