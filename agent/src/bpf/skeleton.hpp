// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/libbpf.h>

#include <cerrno>
#include <string>
#include <system_error>
#include <utility>

namespace minewatch::bpf {

/// Move-only owner of a bpftool-generated skeleton T, using the C++ static
/// members bpftool emits (T::open, T::load, T::destroy). Throws on failure
/// so a half-opened object never escapes.
template <typename T> class Skeleton {
public:
  explicit Skeleton(const std::string &what, const bpf_object_open_opts *opts = nullptr) : skel_(T::open(opts)) {
    if (!skel_)
      throw std::system_error(errno ? errno : EINVAL, std::generic_category(), "open BPF object " + what);
  }
  Skeleton(Skeleton &&other) noexcept : skel_(std::exchange(other.skel_, nullptr)) {}
  Skeleton &operator=(Skeleton &&other) noexcept {
    if (this != &other) {
      T::destroy(skel_);
      skel_ = std::exchange(other.skel_, nullptr);
    }
    return *this;
  }
  Skeleton(const Skeleton &) = delete;
  Skeleton &operator=(const Skeleton &) = delete;
  ~Skeleton() { T::destroy(skel_); }

  /// Verifies and loads every program; throws with the verifier's errno.
  void load(const std::string &what) {
    if (int err = T::load(skel_); err)
      throw std::system_error(-err, std::generic_category(), "load BPF object " + what);
  }

  T *operator->() const { return skel_; }
  T *get() const { return skel_; }

private:
  T *skel_;
};

} // namespace minewatch::bpf
