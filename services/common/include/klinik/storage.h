// One storage interface, two real backends chosen by KLINIK_DATABASE_URL:
//   sqlite:///var/lib/klinik/registration.db  (embedded default, WAL, one replica)
//   postgresql://user@host:5432/klinik        (production, many replicas share it)
//
// SQL is written once with $1, $2… placeholders and types both engines accept (TEXT, BIGINT,
// INTEGER, DOUBLE PRECISION; {{BLOB}} and {{AUTOINCREMENT}} in migrations). Booleans are stored
// as INTEGER 0/1. Every statement is prepared once per connection and reused.
//
//   db->InTransaction([&](klinik::Transaction& tx) {
//     tx.Execute("INSERT INTO patients (id, nik) VALUES ($1, $2)", {id, nik});
//   });
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace klinik {

class Config;

enum class Dialect { kSqlite, kPostgres };

struct Blob {
  std::string bytes;
};

using Value = std::variant<std::nullptr_t, int64_t, double, std::string, Blob>;
using Params = std::vector<Value>;

// Placeholder text for statements built for n values: PlaceholderList(3, 2) is "$2, $3, $4"
// (an IN list); PlaceholderRows(2, 2, 1) is "($1, $2), ($3, $4)" (a VALUES list).
std::string PlaceholderList(size_t n, size_t first);
std::string PlaceholderRows(size_t rows, size_t columns, size_t first);

// Appends values[start, start + n) to `params`, repeating the last value when fewer are left, so
// one statement with an IN list of n placeholders (prepared once) serves every chunk.
template <typename T>
void AppendPadded(Params& params, const std::vector<T>& values, size_t start, size_t n) {
  for (size_t i = 0; i < n; ++i)
    params.emplace_back(values[std::min(start + i, values.size() - 1)]);
}

// Nullable helpers for building Params.
template <typename T>
Value Nullable(const std::optional<T>& v) {
  if (!v) return nullptr;
  if constexpr (std::is_integral_v<T>)
    return static_cast<int64_t>(*v);
  else
    return *v;
}

class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  [[nodiscard]] size_t size() const { return cells_.size(); }
  [[nodiscard]] bool IsNull(size_t i) const { return !cells_.at(i).has_value(); }
  [[nodiscard]] int64_t Int(size_t i) const;              // 0 when NULL
  [[nodiscard]] double Double(size_t i) const;            // 0 when NULL
  [[nodiscard]] const std::string& Text(size_t i) const;  // "" when NULL; bytes for blobs
  [[nodiscard]] std::optional<int64_t> OptInt(size_t i) const;
  [[nodiscard]] std::optional<double> OptDouble(size_t i) const;
  [[nodiscard]] std::optional<std::string> OptText(size_t i) const { return cells_.at(i); }

 private:
  std::vector<std::optional<std::string>> cells_;
};

using Rows = std::vector<Row>;

// Why a statement failed, and so whether trying again can help.
enum class StorageErrorKind {
  kTransient,        // database unreachable, busy, serialization failure: retry with backoff
  kUniqueViolation,  // a concurrent writer won a race: retry sees its row
  kPermanent,        // a bug or a schema mismatch: retrying will not help
};

class StorageError : public std::runtime_error {
 public:
  StorageError(StorageErrorKind kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  [[nodiscard]] StorageErrorKind kind() const { return kind_; }
  [[nodiscard]] bool retryable() const { return kind_ != StorageErrorKind::kPermanent; }

 private:
  StorageErrorKind kind_;
};

// A statement runner bound to one open transaction.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual Rows Query(std::string_view sql, const Params& params = {}) = 0;
  // Returns the number of rows changed.
  virtual int64_t Execute(std::string_view sql, const Params& params = {}) = 0;
  [[nodiscard]] virtual Dialect dialect() const = 0;
  // " FOR UPDATE" on PostgreSQL (row locks between replicas); "" on SQLite, whose writers are
  // already serialised by BEGIN IMMEDIATE.
  [[nodiscard]] std::string_view ForUpdate() const {
    return dialect() == Dialect::kPostgres ? " FOR UPDATE" : "";
  }
};

struct Migration {
  int version;
  std::string name;
  std::string sql;  // one or more statements; {{BLOB}}, {{AUTOINCREMENT}} are replaced per dialect
};

class Connection;

class Database {
 public:
  enum class Mode { kReadWrite, kReadOnly };

  // Opens a pool of `pool_size` connections. Throws ConfigError naming `variable` when the URL
  // is malformed, StorageError when the database cannot be reached.
  static std::unique_ptr<Database> Open(std::string_view url, int pool_size,
                                        std::string_view variable = "KLINIK_DATABASE_URL");
  static std::unique_ptr<Database> FromConfig(const Config& config, std::string_view default_url);
  ~Database();

  [[nodiscard]] Dialect dialect() const { return dialect_; }
  [[nodiscard]] const std::string& url_for_logs() const { return redacted_url_; }

  // Runs fn in one transaction: commit when it returns, roll back when it throws.
  template <typename Fn>
  auto InTransaction(Fn&& fn, Mode mode = Mode::kReadWrite) {
    using R = std::invoke_result_t<Fn, Transaction&>;
    if constexpr (std::is_void_v<R>) {
      RunTransaction([&](Transaction& tx) { fn(tx); }, mode);
    } else {
      std::optional<R> out;
      RunTransaction([&](Transaction& tx) { out.emplace(fn(tx)); }, mode);
      return std::move(*out);
    }
  }
  template <typename Fn>
  auto Read(Fn&& fn) {
    return InTransaction(std::forward<Fn>(fn), Mode::kReadOnly);
  }

  // Applies the component's migrations not yet applied, in version order, each in its own
  // transaction; safe when several replicas start at once.
  void Migrate(std::string_view component, const std::vector<Migration>& migrations);

 private:
  Database(Dialect dialect, std::string url, std::string redacted_url, int pool_size);
  void RunTransaction(const std::function<void(Transaction&)>& fn, Mode mode);
  std::unique_ptr<Connection> Lease();
  void Return(std::unique_ptr<Connection> c);

  struct Pool;
  Dialect dialect_;
  std::string url_;
  std::string redacted_url_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace klinik
