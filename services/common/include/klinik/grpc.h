// gRPC for every service: a server with grpc.health.v1, server reflection (grpcurl works out of
// the box) and per-method metrics; client channels that retry UNAVAILABLE with backoff; and the
// one mapping of a storage failure to a status.
//
//   klinik::GrpcServer server("0.0.0.0:50051", metrics);
//   server.AddService(&directory);   // must outlive the server
//   server.Start();
//
//   } catch (const klinik::StorageError& e) {
//     return klinik::StorageErrorStatus(e, "ListReferrals");
//   }
#pragma once

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace klinik {

class Metrics;
class StorageError;

class GrpcServer {
 public:
  GrpcServer(std::string address, Metrics* metrics);
  ~GrpcServer();

  void AddService(grpc::Service* service);
  // Binds and starts serving; throws ConfigError naming KLINIK_GRPC_ADDRESS when it cannot bind.
  void Start();
  [[nodiscard]] int port() const { return port_; }
  // grpc.health.v1 status of the whole server and of each service.
  void SetServing(bool serving);
  void Shutdown(std::chrono::milliseconds deadline);

 private:
  std::string address_;
  Metrics* metrics_;
  std::vector<grpc::Service*> services_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

struct ClientOptions {
  int max_attempts = 4;  // including the first; UNAVAILABLE only
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
};

// An insecure channel (in-cluster traffic; mTLS belongs to the mesh) with a retry policy.
std::shared_ptr<grpc::Channel> MakeClientChannel(const std::string& target,
                                                 const ClientOptions& options = {});

// A client context whose deadline is `timeout` from now.
std::unique_ptr<grpc::ClientContext> ContextWithDeadline(std::chrono::milliseconds timeout);

// What a handler returns when a read or write failed in storage, decided by whether a retry can
// help (StorageError::retryable()):
//   kTransient, kUniqueViolation -> UNAVAILABLE: the same call may succeed (the database is back,
//                                   or the concurrent writer's row is there); clients built by
//                                   MakeClientChannel retry it with backoff.
//   kPermanent                   -> INTERNAL: a bug or schema mismatch on our side; a retry
//                                   cannot succeed, and FAILED_PRECONDITION would wrongly tell
//                                   the caller that it can fix something.
// The message is fixed text: the error's own text may hold SQL or the values of a row (a
// PostgreSQL DETAIL names the key, e.g. a NIK) and goes only to the log, scrubbed there, with
// `method` so the operator can find the call.
[[nodiscard]] grpc::Status StorageErrorStatus(const StorageError& error, std::string_view method);

// A gRPC status code's canonical name (e.g. "NOT_FOUND"), for metric labels and logs.
const char* StatusCodeName(grpc::StatusCode code);

}  // namespace klinik
