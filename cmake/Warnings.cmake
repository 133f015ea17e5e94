# Warnings for our own targets only; third-party headers come in as system includes.
# (-Wnull-dereference is left out: GCC 12 raises it inside inlined Asio executor code.)
add_library(mx_warnings INTERFACE)
target_compile_options(mx_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(MX_WERROR)
  target_compile_options(mx_warnings INTERFACE -Werror)
endif()
