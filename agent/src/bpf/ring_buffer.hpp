// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#pragma once

#include <bpf/libbpf.h>

#include <cerrno>
#include <functional>
#include <memory>
#include <span>
#include <system_error>

namespace minewatch::bpf {

/// A libbpf ring_buffer over one BPF_MAP_TYPE_RINGBUF map, delivering each
/// record to a callback as a byte span.
class RingBuffer {
public:
  using Handler = std::function<void(std::span<const std::byte>)>;

  RingBuffer(int map_fd, Handler handler) : handler_(std::make_unique<Handler>(std::move(handler))) {
    rb_.reset(ring_buffer__new(map_fd, &RingBuffer::onRecord, handler_.get(), nullptr));
    if (!rb_)
      throw std::system_error(errno, std::generic_category(), "create ring buffer reader");
  }

  /// Consumes everything available without blocking; returns records read.
  int consume() {
    int n = ring_buffer__consume(rb_.get());
    if (n < 0)
      throw std::system_error(-n, std::generic_category(), "consume ring buffer");
    return n;
  }

  /// Waits up to timeout_ms for records, then consumes them.
  int poll(int timeout_ms) {
    int n = ring_buffer__poll(rb_.get(), timeout_ms);
    if (n < 0 && n != -EINTR)
      throw std::system_error(-n, std::generic_category(), "poll ring buffer");
    return n < 0 ? 0 : n;
  }

  [[nodiscard]] int epollFd() const { return ring_buffer__epoll_fd(rb_.get()); }

private:
  static int onRecord(void *ctx, void *data, size_t size) {
    (*static_cast<Handler *>(ctx))(std::span<const std::byte>(static_cast<const std::byte *>(data), size));
    return 0;
  }

  struct Free {
    void operator()(ring_buffer *rb) const { ring_buffer__free(rb); }
  };
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<ring_buffer, Free> rb_;
};

} // namespace minewatch::bpf
