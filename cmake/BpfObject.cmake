# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# bpf_object(NAME SOURCE [INCLUDES dir...] [DEPENDS file...])
#
# Compiles SOURCE with clang -target bpf, links it with `bpftool gen object`
# and generates NAME.skel.h with `bpftool gen skeleton`. Creates the INTERFACE
# target minewatch::NAME_skel whose include path reaches the skeleton. All
# outputs stay in the build tree. A function (not a macro), so the dependency
# lists start empty on every call.

find_program(BPF_CLANG NAMES clang clang-16 clang-15 clang-14 REQUIRED)
find_program(BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)

execute_process(COMMAND gcc -dumpmachine OUTPUT_VARIABLE BPF_MULTIARCH OUTPUT_STRIP_TRAILING_WHITESPACE)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|AMD64")
  set(BPF_TARGET_ARCH x86)
elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
  set(BPF_TARGET_ARCH arm64)
else()
  set(BPF_TARGET_ARCH ${CMAKE_SYSTEM_PROCESSOR})
endif()

function(bpf_object NAME SOURCE)
  cmake_parse_arguments(ARG "" "" "INCLUDES;DEPENDS" ${ARGN})
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/bpf)
  set(obj ${out_dir}/${NAME}.bpf.o)
  set(linked ${out_dir}/${NAME}.linked.o)
  set(skel ${out_dir}/${NAME}.skel.h)
  set(include_flags "")
  foreach(dir ${ARG_INCLUDES})
    list(APPEND include_flags -I${dir})
  endforeach()

  add_custom_command(
    OUTPUT ${skel}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    COMMAND ${BPF_CLANG} -g -O2 -Wall $<$<BOOL:${MINEWATCH_WERROR}>:-Werror> -target bpf -mcpu=v3
            -D__TARGET_ARCH_${BPF_TARGET_ARCH}
            -I/usr/include/${BPF_MULTIARCH} ${include_flags}
            -c ${CMAKE_CURRENT_SOURCE_DIR}/${SOURCE} -o ${obj}
    COMMAND ${BPFTOOL} gen object ${linked} ${obj}
    COMMAND ${BPFTOOL} gen skeleton ${linked} name ${NAME} > ${skel}
    DEPENDS ${SOURCE} ${ARG_DEPENDS}
    COMMENT "BPF ${NAME}: clang -target bpf, bpftool gen skeleton"
    VERBATIM)
  add_custom_target(${NAME}_skel_gen DEPENDS ${skel})
  add_library(${NAME}_skel INTERFACE)
  add_dependencies(${NAME}_skel ${NAME}_skel_gen)
  # SYSTEM: the generated C must not trip the C++ warning set
  target_include_directories(${NAME}_skel SYSTEM INTERFACE ${out_dir})
  add_library(minewatch::${NAME}_skel ALIAS ${NAME}_skel)
endfunction()
