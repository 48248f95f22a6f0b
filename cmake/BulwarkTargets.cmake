# Helpers that give every Bulwark target the same flags.
include(GNUInstallDirs)
#
#   bulwark_library(NAME SOURCES ... DEPS ...)   a module library, alias bulwark::NAME
#   bulwark_test(NAME SOURCES ... DEPS ...)      a GoogleTest binary registered with ctest
# -Wno-restrict: GCC 12 reports false positives in libstdc++ string code at -O3 (GCC PR 105329).
set(BULWARK_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND BULWARK_WARNINGS -Wno-restrict)
  if(BULWARK_SANITIZE)
    # With -fsanitize=address GCC 12 reports -Wmaybe-uninitialized false positives inside
    # libstdc++ (std::variant moves, std::regex's NFA); the Release build keeps the warning.
    list(APPEND BULWARK_WARNINGS -Wno-maybe-uninitialized)
  endif()
endif()
if(BULWARK_FUZZ)
  # The fuzz build is for finding crashes; clang's extra warnings are reported, not fatal there
  # (the Release and ASan builds keep -Werror).
  list(APPEND BULWARK_WARNINGS -Wno-error)
endif()

# A module is installed (static library, exported as Bulwark::bulwark_NAME in the package that
# find_package(Bulwark) loads) unless it says NO_INSTALL (the CLI library: the CLI is installed as
# the `bulwark` program instead).
function(bulwark_library name)
  cmake_parse_arguments(ARG "NO_INSTALL" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(bulwark_${name} STATIC ${ARG_SOURCES})
  add_library(bulwark::${name} ALIAS bulwark_${name})
  set_property(GLOBAL APPEND PROPERTY BULWARK_MODULES bulwark_${name})
  target_include_directories(bulwark_${name}
                             PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
                                    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
                             PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_compile_features(bulwark_${name} PUBLIC cxx_std_23)
  target_compile_options(bulwark_${name} PRIVATE ${BULWARK_WARNINGS})
  target_link_libraries(bulwark_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  if(NOT ARG_NO_INSTALL)
    set_property(GLOBAL APPEND PROPERTY BULWARK_INSTALLED_MODULES bulwark_${name})
    install(TARGETS bulwark_${name} EXPORT BulwarkTargets
            ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
  endif()
endfunction()

# Tests and benchmarks name the source tree (with its testdata/ and bench/workloads/) and the build
# tree through these macros, resolved at run time (testing/bulwark/testing/test_paths.h) so that
# object files do not embed the checkout path and ccache can share them between clones.
function(bulwark_test_paths target)
  target_compile_options(${target} PRIVATE
    -include ${PROJECT_SOURCE_DIR}/testing/bulwark/testing/test_paths.h)
  target_link_libraries(${target} PRIVATE bulwark::testing)
endfunction()

function(bulwark_test name)
  if(NOT BULWARK_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${BULWARK_WARNINGS})
  bulwark_test_paths(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main
                        rapidcheck)
  add_test(NAME ${name} COMMAND ${name})
  if(ARG_LABELS)
    set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}")
  endif()
endfunction()
