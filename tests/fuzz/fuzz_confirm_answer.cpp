// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
// What a probed server answered, judged in each dialect: the bytes come
// from whoever listens at a suspected endpoint. The first byte picks the
// dialect; the rest is the answer, judged whole and at every cut the
// prober may stop at (it reads until the judgement settles).
#include "confirm/answer_shape.hpp"
#include "confirm/printable.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size) {
  using namespace minewatch::confirm;
  if (size == 0)
    return 0;
  auto dialect = kAllDialects[data[0] % kAllDialects.size()];
  std::string_view answer(reinterpret_cast<const char *>(data + 1), size - 1);
  auto whole = judgeAnswer(dialect, answer);
  (void)answerSettled(dialect, whole);
  (void)printableHead(answer, 200);
  for (std::size_t cut = 1; cut < answer.size(); cut += 1 + answer.size() / 16)
    (void)answerSettled(dialect, judgeAnswer(dialect, answer.substr(0, cut)));
  return 0;
}
