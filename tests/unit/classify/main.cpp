// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// Payload classifier tests: pure C++, no privileges needed.
#define BOOST_TEST_MODULE minewatch_classify
#include <boost/test/unit_test.hpp>
