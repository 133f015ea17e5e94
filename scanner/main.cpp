// mxscan's entry point: the only source file not linked into the tests.
#include <exception>
#include <iostream>

#include "scanner/cli/app.hpp"

int main(int argc, char** argv) {
  try {
    return mx::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // Expected failures of peers never get here; this is a startup or internal error.
    std::cerr << "mxscan: " << e.what() << '\n';
    return 70;  // EX_SOFTWARE
  }
}
