// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "net/address.hpp"
#include "render.hpp"

#include "minewatch_abi.h"

#include <fmt/format.h>

namespace minewatch::cli {

namespace {
using nlohmann::json;

std::string endpoint(const json &address, const json &port) {
  return net::endpointText(address.get<std::string>(), port.get<unsigned>());
}

std::uint64_t u64(const json &j, const char *key) {
  return j.contains(key) && j[key].is_number() ? j[key].get<std::uint64_t>() : 0;
}

std::string nsLabel(double ns) {
  if (ns < 1e3)
    return fmt::format("{:.0f}ns", ns);
  if (ns < 1e6)
    return fmt::format("{:.0f}µs", ns / 1e3);
  if (ns < 1e9)
    return fmt::format("{:.0f}ms", ns / 1e6);
  return fmt::format("{:.1f}s", ns / 1e9);
}

std::string histogram(const json &counts, std::string (*label)(unsigned), const Style &style) {
  std::uint64_t max = 0;
  for (const auto &c : counts)
    max = std::max(max, c.get<std::uint64_t>());
  if (max == 0)
    return "    (none)\n";
  std::string out;
  for (unsigned b = 0; b < counts.size(); ++b) {
    auto n = counts[b].get<std::uint64_t>();
    if (n == 0)
      continue;
    out += fmt::format("    {:>14}  {:<30} {}\n", label(b), style.paint(bar(n, max, 30), "36"), n);
  }
  return out;
}
} // namespace

std::string flowText(const json &f) {
  return fmt::format("{} {} -> {}", f["proto"].get<std::string>(), endpoint(f["src"], f["sport"]),
                     endpoint(f["dst"], f["dport"]));
}

std::string sizeBucketLabel(unsigned b) {
  if (b == 0)
    return "0 B";
  if (b + 1 >= MINEWATCH_SIZE_BUCKETS)
    return fmt::format(">= {} B", 1u << (b - 1));
  unsigned lo = 1u << (b - 1), hi = (1u << b) - 1;
  return lo == hi ? fmt::format("{} B", lo) : fmt::format("{}-{} B", lo, hi);
}

std::string gapBucketLabel(unsigned b) {
  double lo = b == 0 ? 0 : static_cast<double>(1ull << (b + MINEWATCH_IAT_SHIFT));
  double hi = static_cast<double>(1ull << (b + MINEWATCH_IAT_SHIFT + 1));
  if (b + 1 >= MINEWATCH_IAT_BUCKETS)
    return ">= " + nsLabel(lo);
  return b == 0 ? "< " + nsLabel(hi) : nsLabel(lo) + "-" + nsLabel(hi);
}

std::string renderStatus(const json &s, const Style &style) {
  std::string out;
  for (const auto &i : s["interfaces"]) {
    // agents before `attached` existed reported only while attached
    if (!i.value("attached", true)) {
      out += fmt::format("{} {}: {}: {}\n", style.bold("minewatch"), i["name"].get<std::string>(),
                         style.bold("detached"), i.value("detached_reason", std::string()));
      continue;
    }
    // agents before ingress_hook existed were all XDP
    bool tc_ingress = i.value("ingress_hook", std::string("xdp")) == "tc";
    auto ingress = tc_ingress
                       ? fmt::format("TC ingress (prog {})", u64(i, "tc_ingress_prog_id"))
                       : fmt::format("XDP {} (prog {}, {})", i["xdp_mode"].get<std::string>(), u64(i, "xdp_prog_id"),
                                     i["via_dispatcher"].get<bool>() ? "libxdp dispatcher" : "attached directly");
    out += fmt::format("{} {}: {}, {}{}\n", style.bold("minewatch"), i["name"].get<std::string>(), ingress,
                       i["tc_egress"].get<bool>() ? fmt::format("TC egress (prog {})", u64(i, "tc_prog_id"))
                                                  : std::string("no TC egress"),
                       i["tap"].get<bool>() ? ", tap mode (alert only)" : "");
  }
  const auto &maps = s["maps"];
  const auto &agent = s["agent"];
  out += fmt::format("up {}, autoblock {}, flows {} of {} in the map, {} tracked, {} detections, {} block rules, {} "
                     "allow rules\n",
                     humanDuration(u64(s, "uptime_s")), s["autoblock"].get<std::string>(),
                     humanCount(u64(maps["flows"], "entries")), humanCount(u64(maps["flows"], "max")),
                     humanCount(u64(agent, "flows_tracked")), u64(agent, "detections"),
                     u64(maps["block_rules"], "entries"), u64(maps, "allow_rules"));
  out += fmt::format("last drain {:.1f} ms over {} flows", agent["last_drain_ms"].get<double>(),
                     humanCount(u64(agent, "last_drain_flows")));
  if (auto held = u64(agent, "flows_held"))
    out += fmt::format(", {} busy ones held for their next read", humanCount(held));
  if (s.contains("traffic"))
    out += fmt::format("; traffic seen {} in {} packets", humanBytes(u64(s["traffic"], "bytes")),
                       humanCount(u64(s["traffic"], "packets")));
  out += "\n";
  if (s.contains("confirm")) {
    const auto &c = s["confirm"];
    out += fmt::format("confirmer: {} confirmed, {} refuted, {} failed, {} pending (minewatch confirmations)\n",
                       u64(c["probes"], "confirmed"), u64(c["probes"], "refuted"), u64(c["probes"], "failed"),
                       u64(c, "pending"));
  }
  for (const auto &note : s["notes"])
    out += style.dim("note: " + note.get<std::string>()) + "\n";
  out += "\n";
  Table t({"COUNTER", "VALUE"}, {false, true});
  for (const auto &[name, value] : s["counters"].items())
    t.add({name, humanCount(value.get<std::uint64_t>())});
  return out + t.render(style);
}

std::string renderFlows(const json &flows, const Style &style) {
  if (flows.empty())
    return "no flows\n";
  Table t({"ID", "FLOW", "NAME", "UP", "DOWN", "PKTS", "AGE", "VERDICT"},
          {false, false, false, true, true, true, true, false});
  for (const auto &f : flows) {
    t.add({f["id"].get<std::string>(), flowText(f["flow"]), f.value("server_name", std::string()),
           humanBytes(u64(f, "bytes_up")), humanBytes(u64(f, "bytes_down")),
           humanCount(u64(f, "packets_up") + u64(f, "packets_down")), humanDuration(u64(f, "age_s")),
           style.verdict(f["verdict"].get<std::string>())});
  }
  return t.render(style);
}

std::string renderDetections(const json &detections, const Style &style) {
  if (detections.empty())
    return "no detections\n";
  Table t({"ID", "VERDICT", "CONF", "FLOW", "ACTION", "DETECTED", "WHY"}, {false, false, true});
  for (const auto &d : detections) {
    std::string why = d["reasons"].empty() ? "" : d["reasons"][0].get<std::string>();
    if (d["reasons"].size() > 1)
      why += fmt::format(" (+{} more)", d["reasons"].size() - 1);
    t.add({d["id"].get<std::string>(), style.verdict(d["verdict"].get<std::string>()),
           fmt::format("{:.2f}", d["confidence"].get<double>()), flowText(d["flow"]), d["action"].get<std::string>(),
           d["detected_at"].get<std::string>(), why});
  }
  return t.render(style);
}

std::string renderConfirmations(const json &confirmations, const Style &style) {
  if (confirmations.is_null())
    return "the confirmer is off (confirm.mode)\n";
  if (confirmations.empty())
    return "no server probed yet\n";
  Table t({"SERVER", "RESULT", "DIALECT", "PROBED", "UNTIL", "SUMMARY"});
  for (const auto &c : confirmations)
    t.add({c["server"].get<std::string>(), c["result"].get<std::string>(), c["dialect"].get<std::string>(),
           c["probed_at"].get<std::string>(), c["until"].get<std::string>(), c["summary"].get<std::string>()});
  return t.render(style);
}

namespace {
// "no sni, alpn h2 http/1.1, ja3 ..., ja4 ..., whole (1800 bytes)"
std::string helloText(const json &h) {
  auto sni = h.value("sni", std::string());
  std::string out = sni.empty() ? (h.value("complete", false) ? "no sni" : "no sni seen") : "sni " + sni;
  std::string alpn;
  for (const auto &a : h.value("alpn", json::array()))
    alpn += (alpn.empty() ? "" : " ") + a.get<std::string>();
  if (!alpn.empty())
    out += ", alpn " + alpn;
  for (const char *fp : {"ja3", "ja4"})
    if (!h.value(fp, std::string()).empty())
      out += fmt::format(", {} {}", fp, h[fp].get<std::string>());
  if (h.value("complete", false))
    return out + fmt::format(", whole ({} bytes)", u64(h, "bytes_seen"));
  return out + fmt::format(", cut short ({} of {} bytes seen)", u64(h, "bytes_seen"), u64(h, "bytes_total"));
}
} // namespace

std::string renderExplain(const json &e, const Style &style) {
  std::string out = fmt::format("{} {}  {}\n", style.bold("flow"), e["id"].get<std::string>(), flowText(e["flow"]));
  if (!e.value("server_name", std::string()).empty())
    out += fmt::format("server name: {}\n", e["server_name"].get<std::string>());
  if (e.contains("tls_hello"))
    out += "tls hello: " + helloText(e["tls_hello"]) + "\n";
  out += fmt::format("verdict: {} (confidence {:.2f}){}\n", style.verdict(e["verdict"].get<std::string>()),
                     e["confidence"].get<double>(), e.value("live", false) ? "" : ", flow has ended");
  if (e.contains("detection"))
    out += fmt::format("detected at {}, action: {}\n", e["detection"]["detected_at"].get<std::string>(),
                       e["detection"]["action"].get<std::string>());
  out += "\n" + style.bold("evidence") + "\n";
  if (e["evidence"].empty())
    out += "  none\n";
  for (const auto &ev : e["evidence"])
    out += fmt::format("  {:<12} {:.2f}  {}\n", ev["detector"].get<std::string>(), ev["weight"].get<double>(),
                       ev["reason"].get<std::string>());
  if (e.contains("confirmation")) {
    const auto &c = e["confirmation"];
    out += "\n" + style.bold("confirmation") + "\n";
    out += fmt::format("  {} {} at {}: {}\n", c["server"].get<std::string>(), c["result"].get<std::string>(),
                       c["probed_at"].get<std::string>(), c["summary"].get<std::string>());
    out += fmt::format("  sent ({}): {}\n  answered: {}\n", c["dialect"].get<std::string>(),
                       c["sent"].get<std::string>(), c["answer_head"].get<std::string>());
  }
  if (!e["facts"].empty()) {
    out += "\n" + style.bold("payload facts") + "\n";
    for (const auto &f : e["facts"])
      out += fmt::format("  {:<16} from the {}: {}{}\n", f["protocol"].get<std::string>(), f["side"].get<std::string>(),
                         f["summary"].get<std::string>(), f["mining"].get<bool>() ? "  [mining]" : "");
  }
  const auto &b = e["behaviour"];
  out += "\n" + style.bold("behaviour") + "\n";
  for (const auto &m : b["met"])
    out += "  + " + m.get<std::string>() + "\n";
  for (const auto &m : b["unmet"])
    out += "  - " + m.get<std::string>() + "\n";

  const auto &f = e["features"];
  for (const char *side : {"client", "server"}) {
    const auto &d = f[side];
    out += fmt::format("\n{} -> {}: {} packets, {}, {} payload, {} pushed\n", style.bold(side),
                       std::string(side) == "client" ? "server" : "client", u64(d, "packets"),
                       humanBytes(u64(d, "bytes")), humanBytes(u64(d, "payload_bytes")), u64(d, "psh_packets"));
    out += "  payload sizes\n" + histogram(d["size_hist"], sizeBucketLabel, style);
    out += "  gaps between packets\n" + histogram(d["iat_hist"], gapBucketLabel, style);
  }
  return out;
}

std::string renderBlocks(const json &rules, const Style &style) {
  if (rules.empty())
    return "no block rules\n";
  Table t({"ID", "TARGET", "SOURCE", "HITS", "EXPIRES IN", "REASON"}, {true, false, false, true, true});
  for (const auto &r : rules) {
    std::string ttl =
        r["ttl_remaining_s"].is_null() ? "never" : humanDuration(r["ttl_remaining_s"].get<std::uint64_t>());
    t.add({std::to_string(u64(r, "id")), r["target"].get<std::string>(), r["source"].get<std::string>(),
           humanCount(u64(r, "hits")), ttl, r["reason"].get<std::string>()});
  }
  return t.render(style);
}

std::string renderAllows(const json &rules, const Style &style) {
  if (rules.empty())
    return "no allow rules\n";
  Table t({"TARGET"});
  for (const auto &r : rules)
    t.add({r["target"].get<std::string>()});
  return t.render(style);
}

} // namespace minewatch::cli
