# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# minewatch_warnings(TARGET): the warning set every C++ target builds with.
# Warnings are errors only when asked (-DMINEWATCH_WERROR=ON, as
# scripts/build.sh and so CI do): a packager's build with another compiler
# or optimisation level must not fail on a warning that compiler invents.
option(MINEWATCH_WERROR "Treat compiler warnings as errors" OFF)

function(minewatch_warnings TARGET)
  target_compile_options(${TARGET} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wpedantic
    -Wconversion -Wno-sign-conversion -Wdouble-promotion $<$<BOOL:${MINEWATCH_WERROR}>:-Werror>
    # libbpf's LIBBPF_OPTS() is a GNU statement expression around a compound
    # literal: GCC lets it pass as a system header's macro, clang (the
    # sanitizer and fuzz build) flags every use under -Wpedantic.
    $<$<CXX_COMPILER_ID:Clang>:-Wno-gnu-statement-expression -Wno-c99-extensions>
    # GCC 12 at -O3 (Release) takes `"x" + std::string(...)`, an insert at
    # the front, for an overlapping memcpy (GCC bug 105651, fixed in 13):
    # -Wrestrict there is noise, in every file that builds a message so.
    $<$<AND:$<CXX_COMPILER_ID:GNU>,$<VERSION_LESS:$<CXX_COMPILER_VERSION>,13>>:-Wno-restrict>)
endfunction()
