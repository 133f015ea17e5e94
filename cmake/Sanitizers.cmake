# MX_SANITIZE=address,undefined (or thread) instruments every target, ours and the compiled-once
# Asio/Beast library alike, since mixing instrumented and plain code hides container overflows.
set(MX_SANITIZE "" CACHE STRING "Sanitizers to build with: address,undefined | thread | empty")
add_library(mx_sanitizers INTERFACE)
if(MX_SANITIZE)
  target_compile_options(mx_sanitizers INTERFACE
    -fsanitize=${MX_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  target_link_options(mx_sanitizers INTERFACE -fsanitize=${MX_SANITIZE})
  if(MX_SANITIZE STREQUAL "thread")
    # GCC warns that TSan does not model std::atomic_thread_fence, which Asio's handler fences
    # and reference counts use; TSan then sees those orderings through the mutexes beside them.
    target_compile_options(mx_sanitizers INTERFACE -Wno-tsan)
  endif()
  # Clang before 17 cannot emit -fsanitize=function's prologue data for the split parts of a
  # coroutine (the resume and destroy clones): every file with a coroutine fails with "Cannot
  # represent a difference across sections". That one check (calls through function pointers of
  # the wrong type) is left out there; the rest of UBSan stays. GCC has no such check.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 17
     AND MX_SANITIZE MATCHES "undefined")
    target_compile_options(mx_sanitizers INTERFACE -fno-sanitize=function)
  endif()
endif()
# libFuzzer builds: our code and the libraries it uses carry the coverage instrumentation the fuzzer
# is steered by (the fuzz targets themselves link -fsanitize=fuzzer, which adds the driver).
if(MX_BUILD_FUZZERS)
  target_compile_options(mx_sanitizers INTERFACE -fsanitize=fuzzer-no-link)
endif()
