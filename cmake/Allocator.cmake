# The long-running programs (mxscan, mxsim) allocate from jemalloc. A scan is dominated by OpenSSL
# 3.0, which allocates and frees thousands of small objects per handshake (its decoder builds a
# context for every certificate's public key) from every scanning thread at once; glibc's malloc
# spends a fifth of mxscan's CPU on that (bench/run: 5.8 -> 4.9 CPU ms per domain on 10,000
# domains). Sanitizer builds keep the system allocator, which ASan replaces anyway.
set(MX_ALLOCATOR "jemalloc" CACHE STRING "Allocator of mxscan and mxsim: jemalloc | system")
set_property(CACHE MX_ALLOCATOR PROPERTY STRINGS jemalloc system)
add_library(mx_allocator INTERFACE)
if(MX_ALLOCATOR STREQUAL "jemalloc" AND NOT MX_SANITIZE)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc>=5)
  target_link_libraries(mx_allocator INTERFACE PkgConfig::JEMALLOC)
elseif(NOT MX_ALLOCATOR STREQUAL "system" AND NOT MX_ALLOCATOR STREQUAL "jemalloc")
  message(FATAL_ERROR "MX_ALLOCATOR must be jemalloc or system, not '${MX_ALLOCATOR}'")
endif()
