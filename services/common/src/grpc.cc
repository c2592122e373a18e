#include "klinik/grpc.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include "klinik/config.h"
#include "klinik/log.h"
#include "klinik/metrics.h"
#include "klinik/storage.h"

namespace klinik {
namespace {

using grpc::experimental::InterceptionHookPoints;

// Counts every call by method and status code and times it from arrival to status.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(std::string method, Metrics* metrics)
      : method_(std::move(method)), metrics_(metrics), started_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      double secs =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
      metrics_->GrpcRequest(method_, StatusCodeName(status.error_code()), secs);
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  Metrics* metrics_;
  std::chrono::steady_clock::time_point started_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new MetricsInterceptor(info->method(), metrics_);
  }

 private:
  Metrics* metrics_;
};

}  // namespace

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::OK:
      return "OK";
    case grpc::CANCELLED:
      return "CANCELLED";
    case grpc::UNKNOWN:
      return "UNKNOWN";
    case grpc::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::ABORTED:
      return "ABORTED";
    case grpc::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::INTERNAL:
      return "INTERNAL";
    case grpc::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

grpc::Status StorageErrorStatus(const StorageError& error, std::string_view method) {
  log::Warn(
      "storage failed in a gRPC call",
      {{"method", std::string(method)}, {"retryable", error.retryable()}, {"error", error.what()}});
  if (error.retryable()) return {grpc::StatusCode::UNAVAILABLE, "database unavailable; retry"};
  return {grpc::StatusCode::INTERNAL, "internal storage error; a retry will not help"};
}

GrpcServer::GrpcServer(std::string address, Metrics* metrics)
    : address_(std::move(address)), metrics_(metrics) {}

GrpcServer::~GrpcServer() { Shutdown(std::chrono::milliseconds(0)); }

void GrpcServer::AddService(grpc::Service* service) { services_.push_back(service); }

void GrpcServer::Start() {
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address_, grpc::InsecureServerCredentials(), &port_);
  for (grpc::Service* s : services_) builder.RegisterService(s);
  if (metrics_) {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> factories;
    factories.push_back(std::make_unique<MetricsInterceptorFactory>(metrics_));
    builder.experimental().SetInterceptorCreators(std::move(factories));
  }
  server_ = builder.BuildAndStart();
  if (!server_ || port_ == 0) {
    throw ConfigError("KLINIK_GRPC_ADDRESS: cannot listen on '" + address_ +
                      "' (in use or malformed)");
  }
  SetServing(false);
}

void GrpcServer::SetServing(bool serving) {
  if (server_ && server_->GetHealthCheckService())
    server_->GetHealthCheckService()->SetServingStatus(serving);
}

void GrpcServer::Shutdown(std::chrono::milliseconds deadline) {
  if (!server_) return;
  SetServing(false);
  server_->Shutdown(std::chrono::system_clock::now() + deadline);
  server_->Wait();
  server_.reset();
}

std::shared_ptr<grpc::Channel> MakeClientChannel(const std::string& target,
                                                 const ClientOptions& o) {
  auto seconds = [](std::chrono::milliseconds ms) {
    return std::to_string(ms.count() / 1000.0) + "s";
  };
  std::string service_config =
      R"({"methodConfig":[{"name":[{}],"retryPolicy":{"maxAttempts":)" +
      std::to_string(o.max_attempts) + R"(,"initialBackoff":")" + seconds(o.initial_backoff) +
      R"(","maxBackoff":")" + seconds(o.max_backoff) +
      R"(","backoffMultiplier":2,"retryableStatusCodes":["UNAVAILABLE"]}}]})";
  grpc::ChannelArguments args;
  args.SetServiceConfigJSON(service_config);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  return grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<grpc::ClientContext> ContextWithDeadline(std::chrono::milliseconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

}  // namespace klinik
