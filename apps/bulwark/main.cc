// The bulwark command: a thin shell over the CLI library (src/cli).
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "bulwark/cli/app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return bulwark::cli::RunCli(args, {std::cin, std::cout, std::cerr, ::isatty(0) == 1});
}
