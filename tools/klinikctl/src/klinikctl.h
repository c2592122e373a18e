// klinikctl: what an upstream app or an operator does, from a shell.
//   publish an intake event:  klinikctl register --nik … --full-name … --birth-date … --sex female
//   … look something up:        klinikctl patient --nik 3201…   klinikctl stock --clinic-id K1
//   watch a topic:            klinikctl watch klinik.screenings.v1 --from-beginning --count 10
// Run() is the whole program with its streams injected, so tests drive it in-process.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace klinikctl {

// Exit codes: 0 ok, 1 the operation failed (unreachable service, NOT_FOUND…), 2 bad usage.
int Run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace klinikctl
