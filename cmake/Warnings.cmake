# Warnings for our own targets only; third-party headers come in as system includes.
# (-Wnull-dereference is left out: GCC 12 raises it inside inlined Asio executor code.)
add_library(mx_warnings INTERFACE)
target_compile_options(mx_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(MX_WERROR)
  target_compile_options(mx_warnings INTERFACE -Werror)
endif()
# GCC 12's flow-sensitive string warnings misfire on libstdc++'s own std::string code once it is
# inlined at -O2/-O3 (GCC bugs 105329, 105651): they are off for it; ASan checks real bounds.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  target_compile_options(mx_warnings INTERFACE
    -Wno-restrict -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread)
endif()
