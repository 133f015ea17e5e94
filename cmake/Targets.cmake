# mx_add_library(NAME SOURCES...): a static library of ours, with the house warnings and the
# configured sanitizers.
function(mx_add_library name)
  add_library(${name} STATIC ${ARGN})
  add_library(mx::${name} ALIAS ${name})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PRIVATE mx_warnings PUBLIC mx_sanitizers)
endfunction()

# mx_add_executable(NAME SOURCES...)
function(mx_add_executable name)
  add_executable(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE mx_warnings mx_sanitizers)
endfunction()

# mx_add_test(NAME SOURCES... LIBS libs...): one Catch2 executable, each TEST_CASE a ctest test.
function(mx_add_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  target_link_libraries(${name} PRIVATE mx_catch_main mx_warnings mx_sanitizers ${T_LIBS})
  catch_discover_tests(${name} TEST_PREFIX "${name}: "
                       PROPERTIES TIMEOUT 120 ENVIRONMENT "MX_SHARED_DIR=${PROJECT_SOURCE_DIR}/../shared")
endfunction()
