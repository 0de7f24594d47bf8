// Tests of the shared vocabulary: ParallelFor.
#include "convexscore/common.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace convexscore {
namespace {

TEST(ParallelFor, RunsEveryIndexExactlyOnceOnAnyNumberOfThreads) {
  for (int threads : {0, 1, 2, 3, 8}) {
    for (int count : {0, 1, 2, 5, 100}) {
      std::vector<std::atomic<int>> calls(static_cast<std::size_t>(count));
      ParallelFor(count, threads, [&](int i) { calls[static_cast<std::size_t>(i)].fetch_add(1); });
      for (int i = 0; i < count; ++i) {
        EXPECT_EQ(calls[static_cast<std::size_t>(i)].load(), 1)
            << "index " << i << ", " << threads << " threads";
      }
    }
  }
}

TEST(ParallelFor, RethrowsTheBodysExceptionAfterEveryThreadStopped) {
  for (int threads : {1, 2, 4}) {
    std::atomic<int> running{0};
    EXPECT_THROW(ParallelFor(50, threads,
                             [&](int i) {
                               running.fetch_add(1);
                               if (i == 3) throw Error("index 3 failed");
                               running.fetch_sub(1);
                             }),
                 Error);
    EXPECT_EQ(running.load(), 1);  // only the failed body is left counted: the rest finished
  }
}

}  // namespace
}  // namespace convexscore
