// bulwark-crashtest: the bulwark command with crash points, for the crash-recovery tests only
// (built with the tests, never installed). The shipped `bulwark` reads none of these variables.
//   BULWARK_TEST_CRASH_SHRED=after-rotate|after-keyring       keys destroy, after that step
//   BULWARK_TEST_CRASH_COMPROMISE=after-write:N|after-commit:N keys compromised, at item N
//   BULWARK_TEST_CRASH_ENCRYPT=after-intent|after-write         writing an encrypted file
// At the named point the process ends abruptly (std::_Exit(86)), as a kill would.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "bulwark/cli/app.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<std::string> points;
  if (const char* s = std::getenv("BULWARK_TEST_CRASH_SHRED")) {
    points.push_back(std::string("shred.") + s);
  }
  if (const char* s = std::getenv("BULWARK_TEST_CRASH_COMPROMISE")) {
    points.push_back(std::string("compromise.") + s);
  }
  if (const char* s = std::getenv("BULWARK_TEST_CRASH_ENCRYPT")) {
    points.push_back(std::string("encrypt.") + s);
  }
  bulwark::cli::CliOptions options;
  options.crash_point = [points](std::string_view point) {
    for (const std::string& p : points) {
      if (p == point) std::_Exit(86);
    }
  };
  return bulwark::cli::RunCli(args, {std::cin, std::cout, std::cerr, ::isatty(0) == 1}, options);
}
