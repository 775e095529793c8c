// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace minewatch::confirm {

/// The first `limit` bytes of what a server sent, safe to print on one line
/// of an event or of explain: printable ASCII kept, \n \r \t and \\ escaped,
/// every other byte as \xNN. A server chooses these bytes; a log line must
/// not let it forge another line or a terminal escape.
std::string printableHead(std::string_view bytes, std::size_t limit);

} // namespace minewatch::confirm
