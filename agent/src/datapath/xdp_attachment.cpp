// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/xdp_attachment.hpp"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>
#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <system_error>

namespace minewatch::datapath {

namespace {
std::string libxdpError(int err) {
  char buf[256] = {};
  libxdp_strerror(err, buf, sizeof buf);
  return buf;
}
} // namespace

namespace {
/// The id of the program behind an fd (ours: no privilege needed).
__u32 progId(int fd) {
  bpf_prog_info info{};
  __u32 len = sizeof info;
  return bpf_obj_get_info_by_fd(fd, &info, &len) == 0 ? info.id : 0;
}

/// A previous agent's copy, attached without the dispatcher, named by the
/// program it pinned (`previous_fd`): netlink tells the attached program's
/// id, and ids compare without looking the program up. That needs only
/// CAP_NET_ADMIN, where libxdp's way (a program fd by id) needs
/// CAP_SYS_ADMIN, which a DaemonSet does not grant.
bool removePinnedCopy(int ifindex, int previous_fd) {
  if (previous_fd < 0)
    return false;
  auto previous = progId(previous_fd);
  for (__u32 flags : {__u32{XDP_FLAGS_DRV_MODE}, __u32{XDP_FLAGS_SKB_MODE}}) {
    __u32 attached = 0;
    if (previous == 0 || bpf_xdp_query_id(ifindex, static_cast<int>(flags), &attached) != 0 || attached != previous)
      continue;
    LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = previous_fd);
    if (bpf_xdp_detach(ifindex, flags, &opts) == 0)
      return true;
  }
  return false;
}

/// An agent killed without detaching, or stopped with shutdown:
/// keep-attached, leaves its program on the interface (legacy attach has no
/// link to die with it). Take it off just before attaching ours; anything
/// that is not ours stays. The swap leaves a gap of microseconds.
void removeStaleCopy(int ifindex, const char *prog_name, int previous_fd) {
  if (removePinnedCopy(ifindex, previous_fd)) {
    // Also our own copy, when the interface comes back from another
    // namespace still carrying it (the kernel keeps XDP across a move).
    std::fprintf(stderr, "minewatch: taking over the %s left attached to ifindex %d\n", prog_name, ifindex);
    return;
  }
  xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (libxdp_get_error(mp) || !mp)
    return; // nothing attached, or no CAP_SYS_ADMIN to look (the pin said all there is)
  if (xdp_multiprog__is_legacy(mp)) {
    xdp_program *main = xdp_multiprog__main_prog(mp);
    if (main && std::string(xdp_program__name(main)) == prog_name) {
      std::fprintf(stderr, "minewatch: taking over the %s a previous agent left on ifindex %d\n", prog_name, ifindex);
      xdp_multiprog__detach(mp);
    }
  } else {
    for (xdp_program *p = xdp_multiprog__next_prog(nullptr, mp); p; p = xdp_multiprog__next_prog(p, mp)) {
      if (std::string(xdp_program__name(p)) == prog_name) {
        std::fprintf(stderr, "minewatch: removing a stale %s from the dispatcher on ifindex %d\n", prog_name, ifindex);
        xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
        break;
      }
    }
  }
  xdp_multiprog__close(mp);
}
} // namespace

bool removePreviousXdp(int ifindex, int previous_fd) { return removePinnedCopy(ifindex, previous_fd); }

XdpAttachment::XdpAttachment(bpf_object *obj, const char *prog_name, int ifindex, XdpMode mode, int previous_fd)
    : ifindex_(ifindex) {
  removeStaleCopy(ifindex, prog_name, previous_fd);
  DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = obj, .prog_name = prog_name);
  prog_ = xdp_program__create(&opts);
  if (auto err = static_cast<int>(libxdp_get_error(prog_)); err) {
    prog_ = nullptr;
    throw std::system_error(-err, std::generic_category(), std::string("prepare XDP program ") + prog_name);
  }

  auto try_attach = [&](xdp_attach_mode m) { return xdp_program__attach(prog_, ifindex, m, 0); };
  int err = 0;
  switch (mode) {
  case XdpMode::Native:
    err = try_attach(XDP_MODE_NATIVE);
    attached_mode_ = XDP_MODE_NATIVE;
    break;
  case XdpMode::Generic:
    err = try_attach(XDP_MODE_SKB);
    attached_mode_ = XDP_MODE_SKB;
    break;
  case XdpMode::Auto:
    err = try_attach(XDP_MODE_NATIVE);
    attached_mode_ = XDP_MODE_NATIVE;
    if (err) {
      std::fprintf(stderr, "minewatch: native XDP refused on ifindex %d (%s); falling back to generic\n", ifindex,
                   libxdpError(err).c_str());
      err = try_attach(XDP_MODE_SKB);
      attached_mode_ = XDP_MODE_SKB;
    }
    break;
  }
  if (err) {
    xdp_program__close(prog_);
    throw std::system_error(-err, std::generic_category(),
                            "attach XDP to ifindex " + std::to_string(ifindex) + ": " + libxdpError(err));
  }
  mode_name_ = attached_mode_ == XDP_MODE_NATIVE ? "native" : "generic";
  // Ours attached directly, or a dispatcher in front of it: netlink's
  // attached id says which, without privileges beyond CAP_NET_ADMIN.
  __u32 attached = 0;
  __u32 flags = attached_mode_ == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
  if (bpf_xdp_query_id(ifindex, static_cast<int>(flags), &attached) == 0)
    via_dispatcher_ = attached != 0 && attached != progId(progFd());
}

XdpAttachment::~XdpAttachment() {
  if (!prog_)
    return;
  if (keep_) {
    xdp_program__close(prog_); // the kernel keeps what is attached
    return;
  }
  if (via_dispatcher_) {
    if (int err = xdp_program__detach(prog_, ifindex_, static_cast<xdp_attach_mode>(attached_mode_), 0); err)
      std::fprintf(stderr, "minewatch: detach XDP from ifindex %d: %s\n", ifindex_, libxdpError(err).c_str());
  } else {
    // Directly attached: detach by netlink, only if it is still ours (an
    // expected old fd), which needs CAP_NET_ADMIN alone; libxdp's detach
    // looks the program up by id, which needs CAP_SYS_ADMIN.
    LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = progFd());
    __u32 flags = attached_mode_ == XDP_MODE_NATIVE ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
    if (int err = bpf_xdp_detach(ifindex_, flags, &opts); err && err != -ENODEV)
      std::fprintf(stderr, "minewatch: detach XDP from ifindex %d: %s\n", ifindex_, std::strerror(-err));
  }
  xdp_program__close(prog_);
}

int XdpAttachment::progFd() const { return prog_ ? xdp_program__fd(prog_) : -1; }

} // namespace minewatch::datapath
