// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "detect/intel_feed.hpp"

#include "util/text_lines.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace minewatch::detect {

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front())))
    s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.remove_suffix(1);
  return s;
}

bool looksLikeDomain(std::string_view s) {
  if (s.empty() || s.size() > 253 || s.find('.') == std::string_view::npos)
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}
} // namespace

std::string normaliseDomain(std::string_view name) {
  std::string out(name);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  while (!out.empty() && out.back() == '.')
    out.pop_back();
  return out;
}

IntelFeed::LoadReport IntelFeed::loadFile(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("intel feed " + path + ": cannot read it");
  std::stringstream text;
  text << in.rdbuf();
  return loadText(text.str(), path);
}

IntelFeed::LoadReport IntelFeed::loadText(std::string_view text, const std::string &origin) {
  LoadReport report{origin};
  util::forEachLine(text, [&](std::string_view line, std::size_t line_no) {
    if (auto hash = line.find('#'); hash != std::string_view::npos)
      line = line.substr(0, hash);
    line = trim(line);
    if (line.empty())
      return;
    // hosts format: "0.0.0.0 name" — keep the name
    if (auto space = line.find_first_of(" \t"); space != std::string_view::npos) {
      auto first = line.substr(0, space);
      if (net::Address::parse(first))
        line = trim(line.substr(space));
    }
    if (auto cidr = net::Cidr::parse(line)) {
      networks_count_ += networks_[cidr->prefix_len].insert(cidr->address).second ? 1 : 0;
      ++report.cidrs;
      return;
    }
    std::string name = normaliseDomain(line);
    bool wildcard = false;
    if (name.rfind("*.", 0) == 0) {
      name.erase(0, 2);
      wildcard = true;
    } else if (name.rfind('.', 0) == 0) {
      name.erase(0, 1);
      wildcard = true;
    }
    if (!looksLikeDomain(name)) {
      if (!report.skipped++)
        report.first_skipped_line = line_no;
      return;
    }
    (wildcard ? suffixes_ : exact_).insert(name);
    ++report.domains;
  });
  return report;
}

std::optional<std::string> IntelFeed::matchDomain(std::string_view raw) const {
  std::string name = normaliseDomain(raw);
  if (name.empty())
    return std::nullopt;
  if (exact_.count(name))
    return name;
  // walk up the labels: a.b.pool.org, b.pool.org, pool.org
  for (std::string_view rest = name; !rest.empty();) {
    if (auto it = suffixes_.find(rest); it != suffixes_.end())
      return "*." + *it;
    auto dot = rest.find('.');
    if (dot == std::string_view::npos)
      break;
    rest.remove_prefix(dot + 1);
  }
  return std::nullopt;
}

std::optional<std::string> IntelFeed::matchAddress(const net::Address &address) const {
  for (const auto &[prefix_len, networks] : networks_) {
    net::Address network = address; // with the host bits cleared, as Cidr::parse requires them
    for (unsigned byte = prefix_len / 8; byte < 16; ++byte) {
      unsigned keep = byte == prefix_len / 8 ? prefix_len % 8 : 0; // leading bits of this byte
      network.bytes[byte] &= static_cast<std::uint8_t>(0xff00u >> keep);
    }
    if (networks.count(network))
      return net::Cidr{network, prefix_len}.toString();
  }
  return std::nullopt;
}

} // namespace minewatch::detect
