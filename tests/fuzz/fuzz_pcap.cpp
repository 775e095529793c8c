// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The capture reader (pcap and pcapng through libpcap, then our link-layer
// conversion) on any file: every frame it hands out is at least an Ethernet
// header long, and a bad file is an exception, never a crash.
#include "replay/pcap_reader.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  // A memory file under a path: the reader opens captures by name.
  int fd = memfd_create("capture", MFD_CLOEXEC);
  if (fd < 0)
    std::abort();
  if (write(fd, data, size) != static_cast<ssize_t>(size))
    std::abort();
  try {
    minewatch::replay::PcapReader reader("/proc/self/fd/" + std::to_string(fd));
    minewatch::replay::Frame frame;
    for (int i = 0; i < 10000 && reader.next(frame); ++i) {
      if (frame.bytes.size() < 14)
        std::abort();
    }
  } catch (const std::runtime_error &) {
  }
  close(fd);
  return 0;
}
