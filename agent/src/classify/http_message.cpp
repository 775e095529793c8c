// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Only the first lines matter here (start line, a few headers, the start of
// a JSON body), so this reads lines directly instead of running a full
// streaming HTTP parser over a 256-byte sample.
#include "classify/http_message.hpp"

#include "classify/text_util.hpp"

#include <array>
#include <charconv>

namespace minewatch::classify {

namespace {
constexpr std::array<std::string_view, 9> kMethods = {"GET",     "POST",  "PUT",     "HEAD", "DELETE",
                                                      "OPTIONS", "PATCH", "CONNECT", "TRACE"};
constexpr std::size_t kMaxHeaders = 64;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// "POST / HTTP/1.1": the version may be missing when the target was cut.
bool parseRequestLine(std::string_view line, bool line_complete, HttpMessage &m) {
  auto sp = line.find(' ');
  if (sp == std::string_view::npos)
    return false;
  std::string_view method = line.substr(0, sp);
  bool known = false;
  for (auto k : kMethods)
    known = known || k == method;
  if (!known)
    return false;
  std::string_view rest = line.substr(sp + 1);
  auto sp2 = rest.rfind(' ');
  if (sp2 != std::string_view::npos && rest.substr(sp2 + 1, 7) == "HTTP/1.") {
    m.target = printableAscii(rest.substr(0, sp2));
  } else if (!line_complete && !rest.empty() && (rest[0] == '/' || rest[0] == '*' || rest[0] == 'h')) {
    m.target = printableAscii(rest);
  } else {
    return false;
  }
  m.request = true;
  m.method = std::string(method);
  return true;
}

bool parseStatusLine(std::string_view line, HttpMessage &m) {
  if (line.substr(0, 7) != "HTTP/1." || line.size() < 12 || line[8] != ' ')
    return false;
  auto code = line.substr(9, 3);
  auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), m.status);
  return ec == std::errc() && end == code.data() + code.size() && m.status >= 100 && m.status <= 599;
}
} // namespace

const std::string *HttpMessage::header(std::string_view name) const {
  for (const auto &[k, v] : headers)
    if (equalsIgnoreCase(k, name))
      return &v;
  return nullptr;
}

std::optional<HttpMessage> parseHttp(std::string_view text) {
  HttpMessage m;
  auto eol = text.find('\n');
  bool first_complete = eol != std::string_view::npos;
  std::string_view first = trim(text.substr(0, eol));
  if (!parseStatusLine(first, m) && !parseRequestLine(first, first_complete, m))
    return std::nullopt;
  if (!first_complete)
    return m;

  std::size_t at = eol + 1;
  while (at < text.size()) {
    auto end = text.find('\n', at);
    if (end == std::string_view::npos)
      break; // a header cut by the sample: its value would be a guess
    std::string_view line = trim(text.substr(at, end - at));
    at = end + 1;
    if (line.empty()) {
      m.headers_complete = true;
      m.body = text.substr(at);
      break;
    }
    auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0 || m.headers.size() >= kMaxHeaders)
      continue;
    m.headers.emplace_back(printableAscii(trim(line.substr(0, colon))), printableAscii(trim(line.substr(colon + 1))));
  }
  return m;
}

} // namespace minewatch::classify
