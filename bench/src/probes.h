// What the bench runner reads from the processes it measures: /proc (RSS, peak RSS, CPU time),
// Prometheus text from a service's /metrics, and small HTTP calls to the SatuSehat sandbox.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

namespace bench {

struct ProcSample {
  double rss_mib = 0;       // VmRSS
  double peak_rss_mib = 0;  // VmHWM
  double cpu_seconds = 0;   // utime + stime
  bool ok = false;
};
ProcSample ReadProc(pid_t pid);

// Sum of every sample of `name` whose labels include all of `labels` (Prometheus text format).
double SumMetric(const std::string& text, const std::string& name,
                 const std::map<std::string, std::string>& labels = {});
// The values of one label over the samples of `name`, summed per value.
std::map<std::string, double> MetricByLabel(const std::string& text, const std::string& name,
                                            const std::string& label);

}  // namespace bench
