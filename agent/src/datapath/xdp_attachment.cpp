// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/xdp_attachment.hpp"

#include <xdp/libxdp.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

namespace minewatch::datapath {

namespace {
std::string libxdpError(int err) {
  char buf[256] = {};
  libxdp_strerror(err, buf, sizeof buf);
  return buf;
}
} // namespace

XdpAttachment::XdpAttachment(bpf_object *obj, const char *prog_name, int ifindex, XdpMode mode)
    : ifindex_(ifindex) {
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
  if (int err = xdp_program__detach(prog_, ifindex_, static_cast<xdp_attach_mode>(attached_mode_), 0); err)
    std::fprintf(stderr, "minewatch: detach XDP from ifindex %d: %s\n", ifindex_, libxdpError(err).c_str());
  xdp_program__close(prog_);
}

} // namespace minewatch::datapath
