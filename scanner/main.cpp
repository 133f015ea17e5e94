// mxscan's entry point: the only source file not linked into the tests.
#include <csignal>
#include <exception>
#include <iostream>

#include "scanner/cli/app.hpp"

int main(int argc, char** argv) {
  // A file-size limit (ulimit -f, LimitFSIZE=) reached by the database: the write fails (EFBIG)
  // and is reported like a full disk, instead of the process dying of SIGXFSZ mid-transaction.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return mx::cli::run(argc, argv);
  } catch (const std::exception& e) {
    // Expected failures of peers never get here; this is a startup or internal error.
    std::cerr << "mxscan: " << e.what() << '\n';
    return 70;  // EX_SOFTWARE
  }
}
