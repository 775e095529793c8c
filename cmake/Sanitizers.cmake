# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# A second build of the same sources for the suite's memory checks:
#   MINEWATCH_SANITIZE=ON  every C++ target with ASan and UBSan; any report
#                          aborts the program, so a test fails on it
#   MINEWATCH_FUZZ=ON      clang only: coverage for libFuzzer on every target,
#                          and the fuzz targets of tests/fuzz (label fuzz)
# scripts/test.sh builds both into build-asan. The BPF objects are compiled
# by clang -target bpf as always; sanitizers do not apply to them.
option(MINEWATCH_SANITIZE "Build with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(MINEWATCH_FUZZ "Build the libFuzzer targets (clang; implies MINEWATCH_SANITIZE)" OFF)

if(MINEWATCH_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "MINEWATCH_FUZZ needs clang (libFuzzer): configure with CXX=clang++ CC=clang")
  endif()
  set(MINEWATCH_SANITIZE ON)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(MINEWATCH_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()
