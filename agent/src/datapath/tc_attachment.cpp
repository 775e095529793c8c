// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/tc_attachment.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

namespace minewatch::datapath {

namespace {
// Our filter's place on the hook: a fixed handle/priority makes re-attach
// after a crash replace our old filter instead of stacking a second one.
constexpr __u32 kHandle = 0x4d57; // "MW"
constexpr __u32 kPriority = 1;

bpf_tc_hook hookOf(int ifindex, TcDirection direction) {
  bpf_tc_hook hook{};
  hook.sz = sizeof hook;
  hook.ifindex = ifindex;
  hook.attach_point = direction == TcDirection::Ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
  return hook;
}

const char *nameOf(const bpf_tc_hook &hook) { return hook.attach_point == BPF_TC_INGRESS ? "ingress" : "egress"; }

/// Names our filter on a hook (as bpf_tc_detach wants it: no fd, no flags).
bpf_tc_opts ourFilter() {
  bpf_tc_opts opts{};
  opts.sz = sizeof opts;
  opts.handle = kHandle;
  opts.priority = kPriority;
  return opts;
}
} // namespace

TcAttachment::TcAttachment(int prog_fd, int ifindex, TcDirection direction) : hook_(hookOf(ifindex, direction)) {
  int err = bpf_tc_hook_create(&hook_);
  if (err && err != -EEXIST)
    throw std::system_error(-err, std::generic_category(), "create clsact qdisc on ifindex " + std::to_string(ifindex));

  opts_ = ourFilter();
  opts_.prog_fd = prog_fd;
  opts_.flags = BPF_TC_F_REPLACE;
  err = bpf_tc_attach(&hook_, &opts_);
  if (err)
    throw std::system_error(-err, std::generic_category(),
                            std::string("attach TC ") + nameOf(hook_) + " program on ifindex " +
                                std::to_string(ifindex));
  prog_id_ = opts_.prog_id;
}

TcAttachment::~TcAttachment() {
  if (keep_)
    return;
  auto detach = ourFilter();
  if (int err = bpf_tc_detach(&hook_, &detach); err && err != -ENOENT && err != -ENODEV)
    std::fprintf(stderr, "minewatch: detach TC %s from ifindex %d: %s\n", nameOf(hook_), hook_.ifindex,
                 std::strerror(-err));
}

bool TcAttachment::removeLeftover(int ifindex, TcDirection direction) {
  auto hook = hookOf(ifindex, direction);
  auto ours = ourFilter();
  // no clsact qdisc, or no filter of ours on it: nothing was left
  return bpf_tc_detach(&hook, &ours) == 0;
}

} // namespace minewatch::datapath
