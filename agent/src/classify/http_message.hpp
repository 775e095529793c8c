// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace minewatch::classify {

/// The start of an HTTP/1.x request or response, as much as the sample holds.
struct HttpMessage {
  bool request = false;
  std::string method;                                       ///< requests: "POST"
  std::string target;                                       ///< requests: "/"
  int status = 0;                                           ///< responses: 200
  std::vector<std::pair<std::string, std::string>> headers; ///< complete lines only, printable ASCII
  bool headers_complete = false;                            ///< the blank line ending the headers was seen
  std::string_view body; ///< what follows the headers in the sample (a view into the input)

  /// First value of a header, by case-insensitive name.
  [[nodiscard]] const std::string *header(std::string_view name) const;
};

/// Parses a request line ("POST / HTTP/1.1", a known method) or a status
/// line ("HTTP/1.1 200 OK") and the header lines after it; nullopt for
/// anything else. A header line cut by the end of the sample is dropped.
std::optional<HttpMessage> parseHttp(std::string_view text);

} // namespace minewatch::classify
