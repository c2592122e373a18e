// The backend side of storage.h: one open database connection of either engine.
#pragma once

#include <memory>
#include <string>

#include "klinik/storage.h"

namespace klinik {

class Connection : public Transaction {
 public:
  virtual void Begin(Database::Mode mode) = 0;
  virtual void Commit() = 0;
  virtual void Rollback() noexcept = 0;
  // Several statements, no parameters (migrations).
  virtual void ExecuteScript(const std::string& sql) = 0;
  // False after the server went away; the pool then replaces the connection.
  [[nodiscard]] virtual bool Healthy() const = 0;
};

std::unique_ptr<Connection> OpenSqlite(const std::string& path);
std::unique_ptr<Connection> OpenPostgres(const std::string& url);

}  // namespace klinik
