// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// BPF data-path tests: the real programs, run with bpf_prog_test_run_opts.
// They need root (CAP_BPF + CAP_NET_ADMIN); without it they fail, never skip.
#define BOOST_TEST_MODULE minewatch_bpf
#include <boost/test/unit_test.hpp>

#include "datapath/libbpf_log.hpp"

/// libbpf's own chatter only with MINEWATCH_VERBOSE=1.
struct QuietLibbpf {
  QuietLibbpf() { minewatch::datapath::installLibbpfLogger(std::getenv("MINEWATCH_VERBOSE") != nullptr); }
};
BOOST_TEST_GLOBAL_FIXTURE(QuietLibbpf);
