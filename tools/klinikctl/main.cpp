// klinikctl: publish intake events, look things up, watch topics. See src/klinikctl.h.
#include <iostream>

#include "src/klinikctl.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return klinikctl::Run(args, std::cout, std::cerr);
}
