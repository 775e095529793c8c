// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include "datapath/map_pinning.hpp"
#include "datapath/sensor_object.hpp"
#include "datapath/tc_attachment.hpp"
#include "datapath/xdp_attachment.hpp"

#include <memory>
#include <string>
#include <vector>

namespace minewatch::datapath {

struct AttachRequest {
  std::string interface;
  XdpMode mode = XdpMode::Auto;
  IngressHook ingress = IngressHook::Xdp;
  bool tap = false;     // mirror port: XDP only, never drop
  std::string pin_root; // empty: no pinning (replay, tests)
};

/// The live data path of one interface: the sensor object with its maps
/// pinned, XDP (or TC) on ingress and (unless tapping a mirror port) TC on
/// egress.
/// Construction checks privileges and the interface first, so the common
/// mistakes get a plain sentence instead of an errno. Detaches on destruction;
/// the pinned maps (and so the block rules) stay.
class AttachedSensor {
public:
  AttachedSensor(const SensorOptions &options, const AttachRequest &request);

  [[nodiscard]] SensorObject &object() { return object_; }
  [[nodiscard]] const SensorObject &object() const { return object_; }
  [[nodiscard]] int ifindex() const { return ifindex_; }
  [[nodiscard]] const std::string &interface() const { return interface_; }
  [[nodiscard]] std::string xdpMode() const { return xdp_ ? xdp_->modeName() : "none"; }
  [[nodiscard]] bool viaDispatcher() const { return xdp_ && xdp_->viaDispatcher(); }
  [[nodiscard]] bool tcAttached() const { return tc_ != nullptr; }
  [[nodiscard]] IngressHook ingressHook() const { return tc_ingress_ ? IngressHook::Tc : IngressHook::Xdp; }
  [[nodiscard]] unsigned xdpProgId() const;
  [[nodiscard]] unsigned tcProgId() const;
  [[nodiscard]] unsigned tcIngressProgId() const { return tc_ingress_ ? tc_ingress_->progId() : 0; }
  [[nodiscard]] const std::vector<std::string> &notes() const { return notes_; }
  [[nodiscard]] std::string pinDir() const { return pinning_ ? pinning_->dir() : ""; }
  /// True while the programs are on the interface (false after detach()).
  [[nodiscard]] bool attached() const { return xdp_ || tc_ingress_; }
  /// The interface went away (deleted, moved to another namespace, renamed):
  /// drops the attachments. On an ifindex that no longer exists they are
  /// only forgotten: the kernel took the programs off with the interface,
  /// and the number may come back as someone else's. The loaded object,
  /// its maps and the pins stay, so a reattach() enforces the same rules.
  void detach();
  /// Attaches the loaded programs to the interface now at `ifindex` under
  /// the same name, as at start (ingress hook, mode, tap). Throws
  /// std::system_error and then leaves nothing attached.
  void reattach(int ifindex);
  /// Pins again maps (and the XDP program) whose pins were removed under
  /// us; returns their names. Nothing when not pinning.
  std::vector<std::string> repinLost() const;
  /// See MapPinning::previousBlockMapId.
  [[nodiscard]] std::uint32_t previousBlockMapId() const { return pinning_ ? pinning_->previousBlockMapId() : 0; }
  /// Leaves XDP and TC attached on destruction (shutdown: keep-attached).
  void keepAttached() {
    if (xdp_)
      xdp_->keepAttached();
    if (tc_ingress_)
      tc_ingress_->keepAttached();
    if (tc_)
      tc_->keepAttached();
  }

private:
  void attachIngress(int previous_fd);
  void attachEgress();

  SensorObject object_;
  AttachRequest request_;
  std::string interface_;
  int ifindex_ = 0;
  std::unique_ptr<MapPinning> pinning_;
  std::unique_ptr<XdpAttachment> xdp_;
  std::unique_ptr<TcAttachment> tc_ingress_;
  std::unique_ptr<TcAttachment> tc_;
  std::vector<std::string> notes_;
};

/// Throws std::runtime_error with an operator-facing sentence when this
/// process cannot load BPF programs (not root / missing capabilities).
void checkPrivileges();

} // namespace minewatch::datapath
