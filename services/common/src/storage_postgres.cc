// PostgreSQL backend on libpq: text parameters, binary only for bytea, every statement prepared
// once per connection. SQLSTATE decides whether an error is worth retrying.
#include <libpq-fe.h>

#include <map>

#include "internal/connection.h"

namespace klinik {
namespace {

constexpr Oid kByteaOid = 17;

using ResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

StorageErrorKind KindOf(const PGresult* result, PGconn* conn) {
  if (PQstatus(conn) != CONNECTION_OK) return StorageErrorKind::kTransient;
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (state == nullptr) return StorageErrorKind::kTransient;
  std::string_view s(state);
  if (s == "23505") return StorageErrorKind::kUniqueViolation;
  // 40: serialization failure / deadlock; 08: connection; 53: resources; 57: operator action.
  if (s.starts_with("40") || s.starts_with("08") || s.starts_with("53") || s.starts_with("57")) {
    return StorageErrorKind::kTransient;
  }
  return StorageErrorKind::kPermanent;
}

class PostgresConnection final : public Connection {
 public:
  explicit PostgresConnection(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK) {
      std::string why = PQerrorMessage(conn_);
      while (!why.empty() && why.back() == '\n') why.pop_back();
      PQfinish(conn_);
      conn_ = nullptr;
      throw StorageError(StorageErrorKind::kTransient, "cannot connect to PostgreSQL: " + why);
    }
    ExecuteScript("SET client_min_messages TO WARNING");
  }
  ~PostgresConnection() override {
    if (conn_) PQfinish(conn_);
  }

  Dialect dialect() const override { return Dialect::kPostgres; }
  bool Healthy() const override { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

  void Begin(Database::Mode mode) override {
    ExecuteScript(mode == Database::Mode::kReadWrite ? "BEGIN" : "BEGIN READ ONLY");
  }
  void Commit() override { ExecuteScript("COMMIT"); }
  void Rollback() noexcept override {
    if (Healthy() && PQtransactionStatus(conn_) != PQTRANS_IDLE) PQclear(PQexec(conn_, "ROLLBACK"));
  }

  void ExecuteScript(const std::string& sql) override {
    ResultPtr r(PQexec(conn_, sql.c_str()), &PQclear);
    Check(r.get());
  }

  Rows Query(std::string_view sql, const Params& params) override {
    ResultPtr r = Run(sql, params);
    Rows rows;
    int n = PQntuples(r.get());
    int f = PQnfields(r.get());
    rows.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      std::vector<std::optional<std::string>> cells;
      cells.reserve(static_cast<size_t>(f));
      for (int c = 0; c < f; ++c) {
        if (PQgetisnull(r.get(), i, c)) {
          cells.emplace_back(std::nullopt);
        } else if (PQftype(r.get(), c) == kByteaOid) {
          size_t len = 0;
          unsigned char* raw = PQunescapeBytea(
              reinterpret_cast<const unsigned char*>(PQgetvalue(r.get(), i, c)), &len);
          cells.emplace_back(std::string(reinterpret_cast<char*>(raw), len));
          PQfreemem(raw);
        } else {
          cells.emplace_back(std::string(PQgetvalue(r.get(), i, c),
                                         static_cast<size_t>(PQgetlength(r.get(), i, c))));
        }
      }
      rows.emplace_back(std::move(cells));
    }
    return rows;
  }

  int64_t Execute(std::string_view sql, const Params& params) override {
    ResultPtr r = Run(sql, params);
    const char* n = PQcmdTuples(r.get());
    return (n && *n) ? std::stoll(n) : 0;
  }

 private:
  void Check(const PGresult* r) {
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return;
    std::string why = r ? PQresultErrorMessage(r) : PQerrorMessage(conn_);
    while (!why.empty() && why.back() == '\n') why.pop_back();
    throw StorageError(KindOf(r, conn_), "PostgreSQL: " + why);
  }

  const std::string& Prepared(std::string_view sql, int nparams) {
    auto it = prepared_.find(sql);
    if (it != prepared_.end()) return it->second;
    std::string name = "k" + std::to_string(prepared_.size());
    ResultPtr r(PQprepare(conn_, name.c_str(), std::string(sql).c_str(), nparams, nullptr),
                &PQclear);
    Check(r.get());
    return prepared_.emplace(std::string(sql), name).first->second;
  }

  ResultPtr Run(std::string_view sql, const Params& params) {
    const std::string& name = Prepared(sql, static_cast<int>(params.size()));
    std::vector<std::string> text(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    std::vector<int> lengths(params.size(), 0);
    std::vector<int> formats(params.size(), 0);
    for (size_t i = 0; i < params.size(); ++i) {
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
              values[i] = nullptr;
            } else if constexpr (std::is_same_v<T, int64_t>) {
              text[i] = std::to_string(v);
              values[i] = text[i].c_str();
            } else if constexpr (std::is_same_v<T, double>) {
              char buf[64];
              std::snprintf(buf, sizeof buf, "%.17g", v);
              text[i] = buf;
              values[i] = text[i].c_str();
            } else if constexpr (std::is_same_v<T, std::string>) {
              values[i] = v.c_str();
            } else {
              values[i] = v.bytes.data();
              lengths[i] = static_cast<int>(v.bytes.size());
              formats[i] = 1;
            }
          },
          params[i]);
    }
    ResultPtr r(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(),
                               lengths.data(), formats.data(), 0),
                &PQclear);
    Check(r.get());
    return r;
  }

  PGconn* conn_ = nullptr;
  std::map<std::string, std::string, std::less<>> prepared_;
};

}  // namespace

std::unique_ptr<Connection> OpenPostgres(const std::string& url) {
  return std::make_unique<PostgresConnection>(url);
}

}  // namespace klinik
