// Tests of the pattern options every d-D fit checks (command line and Python alike).
#include "convexscore/programs/pattern_options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/programs/denoising_score_matching_nd.h"
#include "testutil/error_of.h"

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using testutil::ErrorOf;

TEST(PatternOptions, ParsesAndChecksTheChoice) {
  EXPECT_EQ(ParsePatternChoice("auto"), PatternChoice::kAuto);
  EXPECT_EQ(ParsePatternChoice("exact"), PatternChoice::kExact);
  EXPECT_EQ(ParsePatternChoice("sampled"), PatternChoice::kSampled);
  EXPECT_EQ(ErrorOf([] { ParsePatternChoice("Exact"); }),
            "must be auto, exact or sampled (got 'Exact')");
  for (int d = 1; d <= 3; ++d) {
    EXPECT_EQ(ErrorOf([d] { CheckPatternChoice(PatternChoice::kExact, d); }), "");
  }
  EXPECT_THAT(ErrorOf([] { CheckPatternChoice(PatternChoice::kExact, 4); }),
              HasSubstr("exact patterns are enumerated for d <= 3 only (the data have 4 columns)"));
  EXPECT_EQ(ErrorOf([] { CheckPatternChoice(PatternChoice::kAuto, 9); }), "");
  EXPECT_EQ(ErrorOf([] { CheckPatternChoice(PatternChoice::kSampled, 9); }), "");
}

TEST(PatternOptions, BoundsTheSampledDirections) {
  EXPECT_EQ(CheckSampledDirections(1), 1);
  EXPECT_EQ(CheckSampledDirections(kMaxSampledDirections), kMaxSampledDirections);
  EXPECT_EQ(ErrorOf([] { CheckSampledDirections(0); }), "must be between 1 and 10000000 (got 0)");
  EXPECT_THAT(ErrorOf([] { CheckSampledDirections(kMaxSampledDirections + 1); }),
              HasSubstr("(got 10000001)"));
  EXPECT_THAT(ErrorOf([] { CheckSampledDirections(-(std::int64_t{1} << 40)); }),
              HasSubstr("must be between"));
}

TEST(PatternOptions, MemoryBudgetInGibibytes) {
  EXPECT_EQ(MemoryBudgetBytes(1.0), std::int64_t{1} << 30);
  EXPECT_EQ(MemoryBudgetBytes(0.5), std::int64_t{1} << 29);
  EXPECT_EQ(MemoryBudgetBytes(1e12), std::int64_t{1} << 62);
  EXPECT_EQ(ErrorOf([] { MemoryBudgetBytes(0.0); }), "must be positive (GiB, got 0)");
  EXPECT_THAT(ErrorOf([] { MemoryBudgetBytes(-2.0); }), HasSubstr("must be positive"));
}

}  // namespace
}  // namespace convexscore
