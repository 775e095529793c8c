# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# minewatch_warnings(TARGET): the warning set every C++ target builds with.
function(minewatch_warnings TARGET)
  target_compile_options(${TARGET} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wpedantic
    -Wconversion -Wno-sign-conversion -Wdouble-promotion -Werror)
endfunction()
