# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Payload classifier tests (label unit). The public captures are in the
# repository (tests/data/pcaps, with their sources and licences); the pcap
# test fails, not skips, when they are missing.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CLASSIFY_TEST_PCAP REQUIRED IMPORTED_TARGET libpcap)

set(_dir ${CMAKE_CURRENT_LIST_DIR})
minewatch_boost_test(classify_tests unit
  ${_dir}/main.cpp
  ${_dir}/pcap_samples.cpp
  ${_dir}/signature_samples.cpp
  ${_dir}/signature_test.cpp
  ${_dir}/json_scan_test.cpp
  ${_dir}/json_carry_test.cpp
  ${_dir}/http_websocket_test.cpp
  ${_dir}/tls_hello_test.cpp
  ${_dir}/dns_test.cpp
  ${_dir}/robustness_test.cpp
  ${_dir}/pcap_test.cpp)
target_link_libraries(classify_tests PRIVATE minewatch_classify PkgConfig::CLASSIFY_TEST_PCAP
  nlohmann_json::nlohmann_json)
target_compile_definitions(classify_tests PRIVATE MINEWATCH_PCAP_DIR="${MINEWATCH_PCAP_DIR}")
unset(_dir)
