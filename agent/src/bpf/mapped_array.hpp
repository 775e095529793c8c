// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/libbpf.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <span>
#include <string>
#include <system_error>
#include <utility>

namespace minewatch::bpf {

/// A BPF_F_MMAPABLE array map mapped into this process: the kernel's values
/// read (or written, when mapped writable) in place, without a copy or a
/// syscall. Unmapped on destruction. V must have the map's value size (a
/// multiple of 8, as the kernel lays array elements out).
template <typename V> class MappedArray {
  static_assert(sizeof(V) % 8 == 0, "array elements are 8-byte aligned in the kernel");

public:
  MappedArray() = default;
  explicit MappedArray(bpf_map *map, bool writable = false) : entries_(bpf_map__max_entries(map)) {
    if (bpf_map__value_size(map) != sizeof(V))
      throw std::system_error(EINVAL, std::generic_category(),
                              std::string("map ") + bpf_map__name(map) + " holds values of another size");
    auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
    bytes_ = (entries_ * sizeof(V) + page - 1) / page * page;
    void *at = mmap(nullptr, bytes_, writable ? PROT_READ | PROT_WRITE : PROT_READ, MAP_SHARED, bpf_map__fd(map), 0);
    if (at == MAP_FAILED)
      throw std::system_error(errno, std::generic_category(), std::string("map ") + bpf_map__name(map));
    base_ = static_cast<V *>(at);
    writable_ = writable;
  }
  ~MappedArray() {
    if (base_)
      munmap(base_, bytes_);
  }
  MappedArray(const MappedArray &) = delete;
  MappedArray &operator=(const MappedArray &) = delete;
  MappedArray(MappedArray &&other) noexcept { *this = std::move(other); }
  MappedArray &operator=(MappedArray &&other) noexcept {
    std::swap(base_, other.base_);
    std::swap(bytes_, other.bytes_);
    std::swap(entries_, other.entries_);
    std::swap(writable_, other.writable_);
    return *this;
  }

  [[nodiscard]] bool mapped() const { return base_ != nullptr; }
  [[nodiscard]] std::size_t size() const { return entries_; }
  /// The first n elements (n <= size()).
  [[nodiscard]] std::span<const V> first(std::size_t n) const { return {base_, n < entries_ ? n : entries_}; }
  /// The same, to write; empty unless mapped writable.
  [[nodiscard]] std::span<V> firstToWrite(std::size_t n) {
    return writable_ ? std::span<V>{base_, n < entries_ ? n : entries_} : std::span<V>{};
  }

private:
  V *base_ = nullptr;
  bool writable_ = false;
  std::size_t bytes_ = 0;
  std::size_t entries_ = 0;
};

} // namespace minewatch::bpf
