// SQLite backend: WAL mode, a busy timeout instead of immediate SQLITE_BUSY, and a statement
// cache per connection. Writers use BEGIN IMMEDIATE so two writers never deadlock on upgrade.
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "internal/connection.h"

namespace klinik {
namespace {

// "$3" -> "?3" outside quoted literals: one placeholder syntax for both engines.
std::string ToSqlitePlaceholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') quoted = !quoted;
    out += (c == '$' && !quoted) ? '?' : c;
  }
  return out;
}

StorageErrorKind KindOf(int code) {
  int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) return StorageErrorKind::kTransient;
  if (code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return StorageErrorKind::kUniqueViolation;
  }
  return StorageErrorKind::kPermanent;
}

class SqliteConnection final : public Connection {
 public:
  explicit SqliteConnection(const std::string& path) {
    int rc =
        sqlite3_open_v2(path.c_str(), &db_,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
      sqlite3_close(db_);
      db_ = nullptr;
      throw StorageError(StorageErrorKind::kTransient,
                         "cannot open SQLite database '" + path + "': " + why);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
      EnterWalMode();
      ExecuteScript("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
    } catch (...) {
      sqlite3_close_v2(db_);
      throw;
    }
  }

  ~SqliteConnection() override {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
  }

  Dialect dialect() const override { return Dialect::kSqlite; }
  bool Healthy() const override { return db_ != nullptr; }

  void Begin(Database::Mode mode) override {
    ExecuteScript(mode == Database::Mode::kReadWrite ? "BEGIN IMMEDIATE" : "BEGIN DEFERRED");
  }
  void Commit() override { ExecuteScript("COMMIT"); }
  void Rollback() noexcept override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  void ExecuteScript(const std::string& sql) override {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
      std::string why = err ? err : sqlite3_errstr(rc);
      sqlite3_free(err);
      throw StorageError(KindOf(rc), "SQLite: " + why);
    }
  }

  Rows Query(std::string_view sql, const Params& params) override {
    Rows rows;
    Run(sql, params, &rows);
    return rows;
  }

  int64_t Execute(std::string_view sql, const Params& params) override {
    Run(sql, params, nullptr);
    return sqlite3_changes64(db_);
  }

 private:
  static constexpr int kBusyTimeoutMs = 10000;

  // Two connections turning a fresh file to WAL at once (a service starting while a tool or a
  // second replica opens it) deadlock on the lock upgrade, and SQLite answers one of them BUSY
  // at once without calling the busy handler. That one waits a moment and asks again.
  void EnterWalMode() {
    for (int waited_ms = 0;; waited_ms += 20) {
      try {
        ExecuteScript("PRAGMA journal_mode=WAL;");
        return;
      } catch (const StorageError& e) {
        if (e.kind() != StorageErrorKind::kTransient || waited_ms >= kBusyTimeoutMs) throw;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  sqlite3_stmt* Prepare(std::string_view sql) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    std::string text = ToSqlitePlaceholders(sql);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, text.c_str(), static_cast<int>(text.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      throw StorageError(KindOf(rc),
                         std::string("SQLite prepare: ") + sqlite3_errmsg(db_) + " in: " + text);
    }
    cache_.emplace(std::string(sql), stmt);
    return stmt;
  }

  void Run(std::string_view sql, const Params& params, Rows* rows) {
    sqlite3_stmt* stmt = Prepare(sql);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    for (size_t i = 0; i < params.size(); ++i) {
      int idx = static_cast<int>(i) + 1;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
              sqlite3_bind_null(stmt, idx);
            else if constexpr (std::is_same_v<T, int64_t>)
              sqlite3_bind_int64(stmt, idx, v);
            else if constexpr (std::is_same_v<T, double>)
              sqlite3_bind_double(stmt, idx, v);
            else if constexpr (std::is_same_v<T, std::string>)
              sqlite3_bind_text64(stmt, idx, v.data(), v.size(), SQLITE_STATIC, SQLITE_UTF8);
            else
              sqlite3_bind_blob64(stmt, idx, v.bytes.data(), v.bytes.size(), SQLITE_STATIC);
          },
          params[i]);
    }
    for (;;) {
      int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) {
        std::string why = sqlite3_errmsg(db_);
        int code = sqlite3_extended_errcode(db_);
        sqlite3_reset(stmt);
        throw StorageError(KindOf(code), "SQLite: " + why);
      }
      if (rows == nullptr) continue;
      int n = sqlite3_column_count(stmt);
      std::vector<std::optional<std::string>> cells;
      cells.reserve(static_cast<size_t>(n));
      for (int c = 0; c < n; ++c) {
        switch (sqlite3_column_type(stmt, c)) {
          case SQLITE_NULL:
            cells.emplace_back(std::nullopt);
            break;
          case SQLITE_INTEGER:
            cells.emplace_back(std::to_string(sqlite3_column_int64(stmt, c)));
            break;
          case SQLITE_FLOAT: {
            char buf[64];
            std::snprintf(buf, sizeof buf, "%.17g", sqlite3_column_double(stmt, c));
            cells.emplace_back(buf);
            break;
          }
          default: {
            const void* data = sqlite3_column_blob(stmt, c);
            int len = sqlite3_column_bytes(stmt, c);
            cells.emplace_back(
                std::string(static_cast<const char*>(data), static_cast<size_t>(len)));
          }
        }
      }
      rows->emplace_back(std::move(cells));
    }
    sqlite3_reset(stmt);
  }

  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*, std::less<>> cache_;
};

}  // namespace

std::unique_ptr<Connection> OpenSqlite(const std::string& path) {
  return std::make_unique<SqliteConnection>(path);
}

}  // namespace klinik
