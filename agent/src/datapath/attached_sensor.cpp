// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include "datapath/attached_sensor.hpp"

#include <linux/capability.h>
#include <net/if.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace minewatch::datapath {

namespace {

// The XDP program's pin in the pin directory: how the next agent recognises
// a copy this one left attached (shutdown: keep-attached, or a kill).
constexpr const char *kXdpPin = "minewatch_xdp_prog";

bool hasCapability(int cap) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2] = {};
  if (::syscall(SYS_capget, &header, data) != 0)
    return false;
  return (data[cap / 32].effective & (1u << (cap % 32))) != 0;
}

/// Turns a load failure into what an operator should do about it.
[[noreturn]] void explainLoadFailure(const std::system_error &e) {
  int err = e.code().value();
  if (err == EPERM || err == EACCES)
    throw std::runtime_error(std::string(e.what()) +
                             ": the kernel refused the BPF programs; run as root or grant CAP_BPF, CAP_NET_ADMIN "
                             "and CAP_PERFMON");
  if (err == EINVAL || err == ENOTSUP || err == EOPNOTSUPP || err == E2BIG)
    throw std::runtime_error(std::string(e.what()) +
                             ": the kernel lacks a feature minewatch needs (Linux 5.18 or newer with BPF ring "
                             "buffers, XDP frags and bpf_xdp_load_bytes); run with -v for the verifier log");
  throw;
}

} // namespace

void checkPrivileges() {
  if (hasCapability(CAP_SYS_ADMIN) && hasCapability(CAP_NET_ADMIN))
    return; // root, or as good as
  // Without PERFMON the verifier treats the loader as unprivileged for
  // pointer arithmetic and refuses the parser (measured: EACCES).
  std::string missing;
  for (auto [cap, name] :
       {std::pair{CAP_BPF, "CAP_BPF"}, {CAP_PERFMON, "CAP_PERFMON"}, {CAP_NET_ADMIN, "CAP_NET_ADMIN"}})
    if (!hasCapability(cap))
      missing += (missing.empty() ? "" : ", ") + std::string(name);
  if (!missing.empty())
    throw std::runtime_error("minewatch needs CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN (or root) to load and attach "
                             "its programs; missing: " +
                             missing);
}

namespace {
SensorOptions forIngress(SensorOptions options, IngressHook hook) {
  options.tc_ingress = hook == IngressHook::Tc;
  return options;
}
} // namespace

AttachedSensor::AttachedSensor(const SensorOptions &options, const AttachRequest &request)
    : object_(forIngress(options, request.ingress)), request_(request), interface_(request.interface) {
  checkPrivileges();
  ifindex_ = static_cast<int>(::if_nametoindex(request.interface.c_str()));
  if (ifindex_ == 0)
    throw std::runtime_error("interface '" + request.interface + "' does not exist (ip link shows what does)");

  if (!request.pin_root.empty()) {
    pinning_ = std::make_unique<MapPinning>(object_, request.pin_root + "/" + request.interface);
    pinning_->prepare();
  }
  bpf::UniqueFd previous = pinning_ ? pinning_->pinnedProgram(kXdpPin) : bpf::UniqueFd{};
  try {
    // libxdp loads the object as part of the attach (it needs to, to put
    // the program behind its dispatcher).
    if (request.ingress == IngressHook::Xdp)
      attachIngress(previous.get());
    else
      object_.load();
  } catch (const std::system_error &e) {
    explainLoadFailure(e);
  }
  if (xdp_)
    object_.adoptLoadedObject();
  if (auto why = object_.calibrateClock(); !why.empty())
    notes_.push_back(why);
  if (request.ingress == IngressHook::Tc)
    attachIngress(previous.get());
  if (pinning_) {
    // So the next agent can tell our program from anyone else's. On TC
    // there is no XDP program to recognise: the pin would only keep a
    // previous agent's alive.
    if (xdp_)
      pinning_->pinProgram(xdp_->progFd(), kXdpPin);
    else
      pinning_->unpin(kXdpPin);
    pinning_->restore();
    auto pin_notes = pinning_->notes();
    notes_.insert(notes_.end(), pin_notes.begin(), pin_notes.end());
  }
  if (xdp_ && !xdp_->viaDispatcher())
    notes_.push_back("XDP attached directly, not through libxdp's dispatcher (the kernel refused freplace "
                     "programs): other XDP programs cannot share " +
                     request.interface);
  attachEgress();
}

void AttachedSensor::attachIngress(int previous_fd) {
  if (request_.ingress == IngressHook::Xdp) {
    // A previous agent on TC ingress (keep-attached) would count twice.
    TcAttachment::removeLeftover(ifindex_, TcDirection::Ingress);
    xdp_ = std::make_unique<XdpAttachment>(object_.skel()->obj, "minewatch_xdp", ifindex_, request_.mode, previous_fd);
    return;
  }
  // Attached before a previous agent's XDP copy goes, so no packet passes
  // unseen (for a moment, a few are counted twice).
  tc_ingress_ = std::make_unique<TcAttachment>(bpf_program__fd(object_.skel()->progs.minewatch_tc_ingress), ifindex_,
                                               TcDirection::Ingress);
  if (removePreviousXdp(ifindex_, previous_fd))
    notes_.push_back("took the XDP program a previous agent left on " + request_.interface +
                     " off it: ingress is on TC now");
}

void AttachedSensor::attachEgress() {
  if (!request_.tap)
    tc_ = std::make_unique<TcAttachment>(bpf_program__fd(object_.tcProgram()), ifindex_, TcDirection::Egress);
}

void AttachedSensor::detach() {
  // The ifindex may be gone (deleted, moved away) or still there under
  // another name (renamed): only in the second case is there anything to
  // take off. Even if the number was taken by another interface, the
  // detach touches only what is ours (XDP by expected fd, TC by our handle).
  char name[IF_NAMESIZE] = {};
  if (::if_indextoname(static_cast<unsigned>(ifindex_), name) == nullptr) {
    for (auto *tc : {tc_.get(), tc_ingress_.get()})
      if (tc)
        tc->forgetInterface();
    if (xdp_)
      xdp_->forgetInterface();
  }
  tc_.reset();
  tc_ingress_.reset();
  xdp_.reset();
}

void AttachedSensor::reattach(int ifindex) {
  detach();
  ifindex_ = ifindex;
  // Our own program may still be on it (the same interface, moved back):
  // the pin names it, so the attach takes it over instead of failing.
  bpf::UniqueFd previous = pinning_ ? pinning_->pinnedProgram(kXdpPin) : bpf::UniqueFd{};
  try {
    attachIngress(previous.get());
    attachEgress();
  } catch (...) {
    detach();
    throw;
  }
}

unsigned AttachedSensor::xdpProgId() const {
  if (!xdp_)
    return 0; // loaded with the others, not attached
  bpf_prog_info info{};
  __u32 len = sizeof info;
  return bpf_obj_get_info_by_fd(bpf_program__fd(object_.xdpProgram()), &info, &len) == 0 ? info.id : 0;
}

std::vector<std::string> AttachedSensor::repinLost() const {
  if (!pinning_)
    return {};
  auto repinned = pinning_->repinLost();
  if (xdp_ && !pinning_->pinnedIs(kXdpPin, xdp_->progFd())) {
    pinning_->pinProgram(xdp_->progFd(), kXdpPin);
    repinned.push_back(kXdpPin);
  }
  return repinned;
}

unsigned AttachedSensor::tcProgId() const { return tc_ ? tc_->progId() : 0; }

} // namespace minewatch::datapath
