// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

namespace minewatch::datapath {

/// Routes libbpf and libxdp messages to stderr, demoted one level as
/// xdp-tools does, so they show only when verbose (verifier logs included):
/// their warnings are about fallbacks they try; ours say what failed.
void installLibbpfLogger(bool verbose);

} // namespace minewatch::datapath
