// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/map_pinning.hpp"

#include "bpf/unique_fd.hpp"
#include "datapath/blocklist.hpp"

#include <bpf/bpf.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

namespace minewatch::datapath {

namespace {

bool isBpffs(const std::string &path) {
  struct statfs fs {};
  return ::statfs(path.c_str(), &fs) == 0 && fs.f_type == BPF_FS_MAGIC;
}

/// Whether a pinned map can stand in for the object's map of the same name.
bool compatible(int pinned_fd, bpf_map *wanted) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  if (bpf_obj_get_info_by_fd(pinned_fd, &info, &len) != 0)
    return false;
  return info.type == bpf_map__type(wanted) && info.key_size == bpf_map__key_size(wanted) &&
         info.value_size == bpf_map__value_size(wanted) && info.max_entries == bpf_map__max_entries(wanted) &&
         info.map_flags == bpf_map__map_flags(wanted);
}

/// The kernel's id of a map or program (type and id lead both info structs).
std::uint32_t objectId(int fd) {
  bpf_map_info info{};
  __u32 len = sizeof info;
  return fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

/// Carries rules into a new map; one that does not fit is left out and
/// counted rather than ending the agent (the map is smaller now).
template <typename K, typename V>
std::size_t carry(const bpf::MapView<K, V> &map, const std::vector<std::pair<K, V>> &rules, std::size_t &dropped) {
  std::size_t carried = 0;
  for (const auto &[key, rule] : rules) {
    try {
      map.update(key, rule);
      ++carried;
    } catch (const std::system_error &e) {
      if (!isMapFull(e))
        throw;
      ++dropped;
    }
  }
  return carried;
}

template <typename K, typename V> std::vector<std::pair<K, V>> readAll(int fd) {
  std::vector<std::pair<K, V>> out;
  K key{}, next{};
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : &key, &next) == 0) {
    V value{};
    if (bpf_map_lookup_elem(fd, &next, &value) == 0)
      out.emplace_back(next, value);
    key = next;
    first = false;
  }
  return out;
}

} // namespace

void ensureBpffs(const std::string &dir) {
  // The nearest existing ancestor decides which filesystem the pins land on.
  std::filesystem::path probe(dir);
  while (!probe.empty() && !std::filesystem::exists(probe))
    probe = probe.parent_path();
  if (isBpffs(probe.string()))
    return;
  const std::string standard = "/sys/fs/bpf";
  if (dir.rfind(standard, 0) != 0)
    throw std::runtime_error("pin directory " + dir + " is not on a bpf filesystem (mount -t bpf bpf <dir>)");
  if (::mount("bpf", standard.c_str(), "bpf", 0, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(),
                            "mount bpffs at " + standard + " (needed to keep block rules across restarts)");
}

MapPinning::MapPinning(const SensorObject &sensor, std::string dir) : sensor_(sensor), dir_(std::move(dir)) {}

void MapPinning::prepare() {
  ensureBpffs(dir_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec)
    throw std::system_error(ec, "create pin directory " + dir_);

  auto *skel = sensor_.skel();
  for (bpf_map *map : {skel->maps.minewatch_flows, skel->maps.minewatch_flows4, skel->maps.minewatch_block_cidr,
                       skel->maps.minewatch_block_endpoint, skel->maps.minewatch_stats}) {
    std::string path = dir_ + "/" + bpf_map__name(map);
    bpf::UniqueFd pinned(bpf_obj_get(path.c_str()));
    if (pinned.valid() && map == skel->maps.minewatch_block_endpoint)
      previous_block_map_id_ = objectId(pinned.get());
    if (pinned.valid()) {
      if (compatible(pinned.get(), map)) {
        notes_.push_back(std::string("reusing pinned ") + bpf_map__name(map));
      } else {
        if (map == skel->maps.minewatch_block_cidr)
          carried_cidr_ = readAll<minewatch_lpm_key, minewatch_block_rule>(pinned.get());
        else if (map == skel->maps.minewatch_block_endpoint)
          carried_endpoint_ = readAll<minewatch_endpoint_key, minewatch_block_rule>(pinned.get());
        ::unlink(path.c_str());
        notes_.push_back(std::string("replacing pinned ") + bpf_map__name(map) + " (its size or layout changed)");
      }
    }
    if (int err = bpf_map__set_pin_path(map, path.c_str()); err)
      throw std::system_error(-err, std::generic_category(), "set pin path " + path);
  }
}

bpf::UniqueFd MapPinning::pinnedProgram(const std::string &name) const {
  return bpf::UniqueFd(bpf_obj_get((dir_ + "/" + name).c_str()));
}

void MapPinning::unpin(const std::string &name) const {
  std::error_code ec;
  std::filesystem::remove(dir_ + "/" + name, ec);
}

void MapPinning::pinProgram(int prog_fd, const std::string &name) const {
  auto path = dir_ + "/" + name;
  ::unlink(path.c_str());
  if (bpf_obj_pin(prog_fd, path.c_str()) != 0)
    throw std::system_error(errno, std::generic_category(), "pin the XDP program at " + path);
}

void MapPinning::restore() {
  for (auto &[key, rule] : carried_cidr_)
    rule.prefixlen = key.prefixlen; // unset by agents before it was kept
  std::size_t dropped = 0;
  auto carried =
      carry(sensor_.cidrRules(), carried_cidr_, dropped) + carry(sensor_.endpointRules(), carried_endpoint_, dropped);
  if (carried)
    notes_.push_back("carried " + std::to_string(carried) + " block rules into the new maps");
  if (dropped)
    notes_.push_back(std::to_string(dropped) + " block rules did not fit the new, smaller maps "
                                               "(datapath.max_block_rules) and were dropped");
  carried_cidr_.clear();
  carried_endpoint_.clear();
  sensor_.bumpRulesGeneration();
}

bool MapPinning::pinnedIs(const std::string &name, int fd) const {
  bpf::UniqueFd pinned(bpf_obj_get((dir_ + "/" + name).c_str()));
  auto id = objectId(fd);
  return pinned.valid() && id != 0 && objectId(pinned.get()) == id;
}

std::vector<std::string> MapPinning::repinLost() const {
  std::vector<std::string> repinned;
  auto *skel = sensor_.skel();
  for (bpf_map *map : {skel->maps.minewatch_flows, skel->maps.minewatch_flows4, skel->maps.minewatch_block_cidr,
                       skel->maps.minewatch_block_endpoint, skel->maps.minewatch_stats}) {
    std::string name = bpf_map__name(map);
    if (pinnedIs(name, bpf_map__fd(map)))
      continue;
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    auto path = dir_ + "/" + name;
    ::unlink(path.c_str()); // whatever else is pinned there is not ours
    if (bpf_obj_pin(bpf_map__fd(map), path.c_str()) != 0)
      throw std::system_error(errno, std::generic_category(), "pin " + path + " again");
    repinned.push_back(name);
  }
  return repinned;
}

} // namespace minewatch::datapath
