// klinik-bench: the runner behind `make bench` (bench/README.md).
//
//   klinik-bench run --backend postgres --out build/bench/postgres.json
//   klinik-bench run --backend sqlite --e2e-rates 100 --e2e-seconds 30 --out
//   build/bench/sqlite.json klinik-bench report --results-dir bench/results
//   build/bench/postgres.json build/bench/sqlite.json
//
// `run` starts its own Kafka and PostgreSQL (tests/infra, through klinik_testing) and stops them
// at exit; `report` merges the passes into bench/results/<date>.md and .json.
#include <libpq-fe.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench_runner.h"
#include "report.h"
#include "test_infra.h"

namespace {

using json = nlohmann::json;

std::vector<double> List(const std::string& text) {
  std::vector<double> out;
  std::stringstream s(text);
  for (std::string item; std::getline(s, item, ',');) out.push_back(std::stod(item));
  return out;
}

std::string PostgresVersion() {
  PGconn* conn = PQconnectdb(klinik::testing::FreshPostgresDatabase().c_str());
  std::string version;
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* r = PQexec(conn, "SHOW server_version");
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) version = PQgetvalue(r, 0, 0);
    PQclear(r);
  }
  PQfinish(conn);
  return version;
}

int Usage() {
  std::cerr << "usage: klinik-bench run --backend postgres|sqlite --out FILE [--hop N] "
               "[--registrations N] [--screenings N] [--pharmacy N] [--cap S] "
               "[--e2e-rates R,R,..] [--e2e-seconds S,S,..] [--e2e-patients N]\n"
               "       klinik-bench report --results-dir DIR PASS.json...\n";
  return 2;
}

int RunCommand(const std::vector<std::string>& args) {
  bench::PassOptions o;
  std::string out;
  for (size_t i = 0; i + 1 < args.size(); i += 2) {
    const std::string& f = args[i];
    const std::string& v = args[i + 1];
    if (f == "--backend")
      o.backend = v;
    else if (f == "--out")
      out = v;
    else if (f == "--hop")
      o.hop_messages = std::stoll(v);
    else if (f == "--registrations")
      o.registrations = std::stoll(v);
    else if (f == "--screenings")
      o.screenings = std::stoll(v);
    else if (f == "--pharmacy")
      o.pharmacy = std::stoll(v);
    else if (f == "--cap")
      o.cap_seconds = std::stod(v);
    else if (f == "--e2e-rates")
      o.e2e_rates = List(v);
    else if (f == "--e2e-seconds")
      o.e2e_seconds = List(v);
    else if (f == "--e2e-patients")
      o.e2e_patients = std::stoll(v);
    else if (f == "--drain")
      o.drain_seconds = std::stod(v);
    else
      return Usage();
  }
  if (out.empty() || (o.backend != "postgres" && o.backend != "sqlite")) return Usage();
  json pass = bench::RunPass(o);
  pass["pg_server_version"] = PostgresVersion();
  std::filesystem::create_directories(std::filesystem::path(out).parent_path());
  std::ofstream(out) << pass.dump(2) << "\n";
  std::cerr << "bench: pass " << o.backend << " written to " << out << "\n";
  return 0;
}

int ReportCommand(const std::vector<std::string>& args) {
  std::string dir;
  std::vector<json> passes;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--results-dir" && i + 1 < args.size()) {
      dir = args[++i];
    } else {
      std::ifstream in(args[i]);
      if (!in) {
        std::cerr << "klinik-bench report: cannot read " << args[i] << "\n";
        return 1;
      }
      passes.push_back(json::parse(in));
    }
  }
  if (dir.empty() || passes.empty()) return Usage();
  std::time_t now = std::time(nullptr);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", std::localtime(&now));
  double seconds = 0;
  for (const auto& p : passes) seconds += p.value("pass_seconds", 0.0);
  json report = {{"date", date},
                 {"environment", bench::Environment(KLINIK_BENCH_SOURCE_DIR)},
                 {"seconds", seconds},
                 {"passes", passes},
                 {"targets", bench::Targets(passes)}};
  std::filesystem::create_directories(dir);
  std::string base = dir + "/" + date;
  std::ofstream(base + ".json") << report.dump(2) << "\n";
  std::string md = bench::Markdown(report);
  std::ofstream(base + ".md") << md;
  std::cout << md;
  std::cerr << "bench: report written to " << base << ".md and .json\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  std::string command = argv[1];
  std::vector<std::string> args(argv + 2, argv + argc);
  try {
    if (command == "run") return RunCommand(args);
    if (command == "report") return ReportCommand(args);
  } catch (const std::exception& e) {
    std::cerr << "klinik-bench: " << e.what() << "\n";
    return 1;
  }
  return Usage();
}
