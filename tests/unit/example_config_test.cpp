// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// The shipped example config must load: it is what operators copy.
#include "config/agent_config.hpp"

#include <boost/test/unit_test.hpp>

BOOST_AUTO_TEST_CASE(shipped_example_config_loads) {
  auto c = minewatch::config::loadConfig(MINEWATCH_DEPLOY_DIR "/agent.example.yaml");
  BOOST_TEST(c.interface == "eth0");
  BOOST_TEST(c.sensor.max_flows == 262144u);
  BOOST_TEST(std::string(toString(c.autoblock)) == "off");
}
