// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/xdp_attachment.hpp"

#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdio>
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
/// An agent killed without detaching, or stopped with shutdown:
/// keep-attached, leaves its program on the interface (legacy attach has no
/// link to die with it). Take it off just before attaching ours; anything
/// that is not ours stays. The swap leaves a gap of microseconds.
void removeStaleCopy(int ifindex, const char *prog_name) {
  xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (libxdp_get_error(mp) || !mp)
    return;
  if (xdp_multiprog__is_legacy(mp)) {
    xdp_program *main = xdp_multiprog__main_prog(mp);
    if (main && std::string(xdp_program__name(main)) == prog_name) {
      std::fprintf(stderr, "minewatch: taking over the %s a previous agent left on ifindex %d\n",
                   prog_name, ifindex);
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

XdpAttachment::XdpAttachment(bpf_object *obj, const char *prog_name, int ifindex, XdpMode mode)
    : ifindex_(ifindex) {
  removeStaleCopy(ifindex, prog_name);
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
      std::fprintf(stderr, "minewatch: native XDP refused on ifindex %d (%s); falling back to generic\n",
                   ifindex, libxdpError(err).c_str());
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
  xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
  if (!libxdp_get_error(mp) && mp) {
    via_dispatcher_ = !xdp_multiprog__is_legacy(mp);
    xdp_multiprog__close(mp);
  }
}

XdpAttachment::~XdpAttachment() {
  if (!prog_)
    return;
  if (keep_) {
    xdp_program__close(prog_); // the kernel keeps what is attached
    return;
  }
  if (int err = xdp_program__detach(prog_, ifindex_, static_cast<xdp_attach_mode>(attached_mode_), 0); err)
    std::fprintf(stderr, "minewatch: detach XDP from ifindex %d: %s\n", ifindex_, libxdpError(err).c_str());
  xdp_program__close(prog_);
}

} // namespace minewatch::datapath
