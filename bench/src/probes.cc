#include "probes.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace bench {
namespace {

// name{a="x",b="y"} value  ->  labels and value; false for comments and other metrics.
bool ParseSample(const std::string& line, const std::string& name,
                 std::map<std::string, std::string>* labels, double* value) {
  if (line.empty() || line[0] == '#' || !line.starts_with(name)) return false;
  size_t pos = name.size();
  if (pos < line.size() && line[pos] == '{') {
    size_t end = line.find('}', pos);
    if (end == std::string::npos) return false;
    std::string body = line.substr(pos + 1, end - pos - 1);
    size_t i = 0;
    while (i < body.size()) {
      size_t eq = body.find('=', i);
      if (eq == std::string::npos || eq + 1 >= body.size() || body[eq + 1] != '"') break;
      size_t close = body.find('"', eq + 2);
      if (close == std::string::npos) break;
      (*labels)[body.substr(i, eq - i)] = body.substr(eq + 2, close - eq - 2);
      i = close + 1;
      if (i < body.size() && body[i] == ',') ++i;
    }
    pos = end + 1;
  } else if (pos < line.size() && line[pos] != ' ') {
    return false;  // another metric sharing the prefix
  }
  try {
    *value = std::stod(line.substr(pos));
  } catch (const std::exception&) {
    return false;
  }
  return true;
}

}  // namespace

ProcSample ReadProc(pid_t pid) {
  ProcSample s;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmRSS:")) s.rss_mib = std::stod(line.substr(6)) / 1024.0;
    if (line.starts_with("VmHWM:")) s.peak_rss_mib = std::stod(line.substr(6)) / 1024.0;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string all((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start after the last ')'.
  size_t close = all.rfind(')');
  if (close == std::string::npos) return s;
  std::istringstream rest(all.substr(close + 2));
  std::string field;
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  double utime = 0, stime = 0;
  for (int i = 3; rest >> field; ++i) {
    if (i == 14) utime = std::stod(field);
    if (i == 15) {
      stime = std::stod(field);
      s.ok = true;
      break;
    }
  }
  s.cpu_seconds = (utime + stime) / ticks;
  return s;
}

double SumMetric(const std::string& text, const std::string& name,
                 const std::map<std::string, std::string>& labels) {
  std::istringstream lines(text);
  double sum = 0;
  for (std::string line; std::getline(lines, line);) {
    std::map<std::string, std::string> got;
    double value = 0;
    if (!ParseSample(line, name, &got, &value)) continue;
    bool match = true;
    for (const auto& [k, v] : labels) match = match && got.count(k) && got[k] == v;
    if (match) sum += value;
  }
  return sum;
}

std::map<std::string, double> MetricByLabel(const std::string& text, const std::string& name,
                                            const std::string& label) {
  std::istringstream lines(text);
  std::map<std::string, double> out;
  for (std::string line; std::getline(lines, line);) {
    std::map<std::string, std::string> got;
    double value = 0;
    if (ParseSample(line, name, &got, &value)) out[got[label]] += value;
  }
  return out;
}

}  // namespace bench
