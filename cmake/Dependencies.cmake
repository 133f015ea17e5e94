# Every system dependency comes from Debian 12's packages (scripts/install-deps.sh); minimum
# versions are Debian 12's.
find_package(Boost 1.81 REQUIRED CONFIG COMPONENTS json)
find_package(OpenSSL 3.0 REQUIRED)
find_package(SQLite3 3.40 REQUIRED)
find_package(fmt 9 REQUIRED CONFIG)
find_package(CLI11 2.1 REQUIRED CONFIG)
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
# Debian's c-ares and libidn2 ship pkg-config files only.
pkg_check_modules(CARES REQUIRED IMPORTED_TARGET libcares>=1.18)
pkg_check_modules(IDN2 REQUIRED IMPORTED_TARGET libidn2>=2.3)
# libpsl: registrable domains for suggested list patterns (Debian ships its PSL data with it).
pkg_check_modules(PSL REQUIRED IMPORTED_TARGET libpsl>=0.21)
# GPGME: the list's OpenPGP signatures (publish/); Debian 12's libgpgme-dev ships gpgme.pc.
pkg_check_modules(GPGME REQUIRED IMPORTED_TARGET gpgme>=1.18)
if(BUILD_TESTING)
  find_package(Catch2 2.13 REQUIRED CONFIG)
  include(Catch)
endif()
