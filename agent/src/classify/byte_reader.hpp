// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace minewatch::classify {

/// Big-endian reads over a span that fail instead of running past its end:
/// every parser here reads untrusted, often truncated, samples through one.
/// A failed read consumes nothing.
class ByteReader {
public:
  explicit ByteReader(std::span<const std::uint8_t> data) : data_(data) {}

  [[nodiscard]] std::size_t remaining() const { return data_.size() - at_; }
  [[nodiscard]] std::size_t offset() const { return at_; }
  [[nodiscard]] std::span<const std::uint8_t> rest() const { return data_.subspan(at_); }

  bool u8(std::uint8_t &out) { return number(1, out); }
  bool u16(std::uint16_t &out) { return number(2, out); }
  bool u24(std::uint32_t &out) { return number(3, out); }
  bool u32(std::uint32_t &out) { return number(4, out); }
  bool u64(std::uint64_t &out) { return number(8, out); }

  bool take(std::size_t n, std::span<const std::uint8_t> &out) {
    if (n > remaining())
      return false;
    out = data_.subspan(at_, n);
    at_ += n;
    return true;
  }
  bool skip(std::size_t n) {
    std::span<const std::uint8_t> ignored;
    return take(n, ignored);
  }

private:
  template <typename T> bool number(std::size_t n, T &out) {
    if (n > remaining())
      return false;
    T v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v = static_cast<T>((v << 8) | data_[at_ + i]);
    out = v;
    at_ += n;
    return true;
  }

  std::span<const std::uint8_t> data_;
  std::size_t at_ = 0;
};

} // namespace minewatch::classify
