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
endif()
