// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

namespace minewatch::datapath {

/// Routes libbpf and libxdp messages to stderr, demoted one level as
/// xdp-tools does: their warnings about optional features are not ours.
/// Debug output (verifier logs included) only when verbose.
void installLibbpfLogger(bool verbose);

} // namespace minewatch::datapath
