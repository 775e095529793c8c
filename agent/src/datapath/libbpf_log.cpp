// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/libbpf_log.hpp"

#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include <cstdarg>
#include <cstdio>

namespace minewatch::datapath {

namespace {
bool g_verbose = false;

// Everything is demoted one level, as xdp-tools does: libbpf's warnings
// are about fallbacks it tries (libxdp's dispatcher probe among them) and our
// own error messages say what failed, so its output shows only with -v.
int printLibbpf(enum libbpf_print_level level, const char *format, va_list args) {
  (void)level;
  if (!g_verbose)
    return 0;
  return std::vfprintf(stderr, format, args);
}

int printLibxdp(enum libxdp_print_level level, const char *format, va_list args) {
  // libxdp warns about every fallback it tries; we report our own outcome.
  if (!g_verbose)
    return 0;
  std::fprintf(stderr, "libxdp(%d): ", static_cast<int>(level));
  return std::vfprintf(stderr, format, args);
}
} // namespace

void installLibbpfLogger(bool verbose) {
  g_verbose = verbose;
  libbpf_set_print(printLibbpf);
  libxdp_set_print(printLibxdp);
}

} // namespace minewatch::datapath
