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
} // namespace

TcEgressAttachment::TcEgressAttachment(int prog_fd, int ifindex) {
  hook_.sz = sizeof hook_;
  hook_.ifindex = ifindex;
  hook_.attach_point = BPF_TC_EGRESS;
  int err = bpf_tc_hook_create(&hook_);
  if (err && err != -EEXIST)
    throw std::system_error(-err, std::generic_category(),
                            "create clsact qdisc on ifindex " + std::to_string(ifindex));

  opts_.sz = sizeof opts_;
  opts_.prog_fd = prog_fd;
  opts_.handle = kHandle;
  opts_.priority = kPriority;
  opts_.flags = BPF_TC_F_REPLACE;
  err = bpf_tc_attach(&hook_, &opts_);
  if (err)
    throw std::system_error(-err, std::generic_category(),
                            "attach TC egress program on ifindex " + std::to_string(ifindex));
  prog_id_ = opts_.prog_id;
}

TcEgressAttachment::~TcEgressAttachment() {
  if (keep_)
    return;
  bpf_tc_opts detach{};
  detach.sz = sizeof detach;
  detach.handle = kHandle;
  detach.priority = kPriority;
  if (int err = bpf_tc_detach(&hook_, &detach); err && err != -ENOENT && err != -ENODEV)
    std::fprintf(stderr, "minewatch: detach TC egress from ifindex %d: %s\n", hook_.ifindex, std::strerror(-err));
}

} // namespace minewatch::datapath
