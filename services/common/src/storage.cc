#include "klinik/storage.h"

#include <charconv>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>

#include "internal/connection.h"
#include "klinik/config.h"
#include "klinik/log.h"
#include "klinik/time_util.h"

namespace klinik {

std::string PlaceholderList(size_t n, size_t first) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? ", $" : "$") + std::to_string(first + i);
  return out;
}

std::string PlaceholderRows(size_t rows, size_t columns, size_t first) {
  std::string out;
  for (size_t r = 0; r < rows; ++r) {
    out += (r ? ", (" : "(") + PlaceholderList(columns, first + r * columns) + ")";
  }
  return out;
}

int64_t Row::Int(size_t i) const { return OptInt(i).value_or(0); }
double Row::Double(size_t i) const { return OptDouble(i).value_or(0.0); }

const std::string& Row::Text(size_t i) const {
  static const std::string kEmpty;
  const auto& c = cells_.at(i);
  return c ? *c : kEmpty;
}

std::optional<int64_t> Row::OptInt(size_t i) const {
  const auto& c = cells_.at(i);
  if (!c) return std::nullopt;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(c->data(), c->data() + c->size(), v);
  if (ec != std::errc()) {
    // SQLite may hand back REAL for integer arithmetic; PostgreSQL "t"/"f" is not used.
    return static_cast<int64_t>(std::stod(*c));
  }
  return v;
}

std::optional<double> Row::OptDouble(size_t i) const {
  const auto& c = cells_.at(i);
  if (!c) return std::nullopt;
  return std::stod(*c);
}

struct Database::Pool {
  std::mutex mutex;
  std::condition_variable available;
  std::deque<std::unique_ptr<Connection>> idle;
  int open = 0;
  int size = 1;
};

namespace {

std::string RedactUrl(std::string_view url) {
  // postgresql://user:password@host/db -> postgresql://user:***@host/db
  std::string out(url);
  auto scheme = out.find("://");
  auto at = out.find('@');
  if (scheme != std::string::npos && at != std::string::npos) {
    auto colon = out.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  return out;
}

}  // namespace

Database::Database(Dialect dialect, std::string url, std::string redacted_url, int pool_size)
    : dialect_(dialect),
      url_(std::move(url)),
      redacted_url_(std::move(redacted_url)),
      pool_(std::make_unique<Pool>()) {
  pool_->size = pool_size;
}

Database::~Database() = default;

std::unique_ptr<Database> Database::Open(std::string_view url, int pool_size,
                                         std::string_view variable) {
  auto bad = [&](std::string why) -> ConfigError {
    return ConfigError(std::string(variable) + ": " + why + ", got '" + RedactUrl(url) +
                       "' (expected sqlite:///path/file.db or postgresql://user@host:port/db)");
  };
  std::unique_ptr<Database> db;
  if (url.starts_with("sqlite://")) {
    std::string path(url.substr(9));
    if (path.empty()) throw bad("no file path");
    db.reset(new Database(Dialect::kSqlite, path, std::string(url), pool_size));
  } else if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    if (url.find('/', url.find("://") + 3) == std::string_view::npos && url.size() < 16) {
      throw bad("no host");
    }
    db.reset(new Database(Dialect::kPostgres, std::string(url), RedactUrl(url), pool_size));
  } else {
    throw bad("unknown scheme");
  }
  // Open one connection now so an unreachable database stops the service at start.
  db->Return(db->Lease());
  return db;
}

std::unique_ptr<Database> Database::FromConfig(const Config& config, std::string_view default_url) {
  std::string url = config.String("KLINIK_DATABASE_URL", default_url);
  int pool = static_cast<int>(config.Int("KLINIK_DATABASE_POOL_SIZE", 4, 1, 64));
  return Open(url, pool);
}

std::unique_ptr<Connection> Database::Lease() {
  std::unique_lock lock(pool_->mutex);
  for (;;) {
    if (!pool_->idle.empty()) {
      auto c = std::move(pool_->idle.front());
      pool_->idle.pop_front();
      if (c->Healthy()) return c;
      --pool_->open;  // dropped; a fresh one is opened below
      continue;
    }
    if (pool_->open < pool_->size) {
      ++pool_->open;
      lock.unlock();
      try {
        return dialect_ == Dialect::kSqlite ? OpenSqlite(url_) : OpenPostgres(url_);
      } catch (...) {
        std::lock_guard relock(pool_->mutex);
        --pool_->open;
        pool_->available.notify_one();
        throw;
      }
    }
    pool_->available.wait(lock);
  }
}

void Database::Return(std::unique_ptr<Connection> c) {
  std::lock_guard lock(pool_->mutex);
  if (c && c->Healthy()) {
    pool_->idle.push_back(std::move(c));
  } else {
    --pool_->open;
  }
  pool_->available.notify_one();
}

void Database::RunTransaction(const std::function<void(Transaction&)>& fn, Mode mode) {
  std::unique_ptr<Connection> c = Lease();
  try {
    c->Begin(mode);
    fn(*c);
    c->Commit();
  } catch (...) {
    c->Rollback();
    Return(std::move(c));
    throw;
  }
  Return(std::move(c));
}

void Database::Migrate(std::string_view component, const std::vector<Migration>& migrations) {
  InTransaction([&](Transaction& tx) {
    // CREATE TABLE IF NOT EXISTS races between replicas starting together on PostgreSQL
    // (duplicate pg_type row): the same lock as below serialises it.
    if (dialect_ == Dialect::kPostgres) tx.Query("SELECT pg_advisory_xact_lock(7316802)");
    tx.Execute(
        "CREATE TABLE IF NOT EXISTS klinik_schema_migrations (component TEXT NOT NULL, "
        "version INTEGER NOT NULL, name TEXT NOT NULL, applied_at BIGINT NOT NULL, "
        "PRIMARY KEY (component, version))");
  });
  for (const Migration& m : migrations) {
    // RunTransaction hands its Connection over as the Transaction; a migration needs its
    // multi-statement ExecuteScript.
    RunTransaction(
        [&](Transaction& tx) {
          Connection* c = &static_cast<Connection&>(tx);
          if (dialect_ == Dialect::kPostgres) {
            // Replicas starting together apply each migration once.
            c->Query("SELECT pg_advisory_xact_lock(7316802)");
          }
          auto applied = c->Query(
              "SELECT 1 FROM klinik_schema_migrations WHERE component = $1 AND version = $2",
              {std::string(component), int64_t{m.version}});
          if (applied.empty()) {
            std::string sql = m.sql;
            auto replace = [&](std::string_view token, std::string_view with) {
              for (size_t p = sql.find(token); p != std::string::npos;
                   p = sql.find(token, p + with.size())) {
                sql.replace(p, token.size(), with);
              }
            };
            bool pg = dialect_ == Dialect::kPostgres;
            replace("{{BLOB}}", pg ? "BYTEA" : "BLOB");
            replace("{{AUTOINCREMENT}}",
                    pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT");
            c->ExecuteScript(sql);
            c->Execute(
                "INSERT INTO klinik_schema_migrations (component, version, name, applied_at) "
                "VALUES ($1, $2, $3, $4)",
                {std::string(component), int64_t{m.version}, m.name, ToUnixMillis(Clock::now())});
            log::Info("migration applied", {{"component", std::string(component)},
                                            {"version", m.version},
                                            {"migration", m.name}});
          }
        },
        Mode::kReadWrite);
  }
}

}  // namespace klinik
