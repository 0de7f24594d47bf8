#include "convexscore/io/progress_display.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace convexscore {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(ProgressDisplayTest, LineShowsPercentBarRateAndTimeLeft) {
  EXPECT_EQ(FormatProgressLine("sampling", "steps", 0, 100, 0.0),
            "sampling   0% [........................]");
  EXPECT_EQ(FormatProgressLine("sampling", "steps", 50, 100, 2.0),
            "sampling  50% [############............] 25 steps/s, 2 s left");
  EXPECT_EQ(FormatProgressLine("x", "steps", 100, 100, 4.0),
            "x 100% [########################] 25 steps/s");
  EXPECT_THAT(FormatProgressLine("x", "steps", 7, 0, 1.0), StartsWith("x   0% ["));
}

TEST(ProgressDisplayTest, DisabledDisplayWritesNothing) {
  std::ostringstream out;
  {
    ProgressDisplay display("sampling", "steps", out, false);
    display.Update(5, 10);
  }
  EXPECT_EQ(out.str(), "");
}

TEST(ProgressDisplayTest, EnabledDisplayRedrawsInPlaceAndClearsItsLine) {
  std::ostringstream out;
  {
    ProgressDisplay display("sampling", "steps", out, true);
    display.Update(1, 10);
    display.Update(5, 10);
    EXPECT_THAT(out.str(), StartsWith("\rsampling  10% ["));
    EXPECT_THAT(out.str(), HasSubstr("\rsampling  50% ["));
    EXPECT_EQ(out.str().find('\n'), std::string::npos);
  }
  // The destructor blanks the line and returns the cursor to its start.
  const std::string text = out.str();
  EXPECT_EQ(text.back(), '\r');
  EXPECT_NE(text.find("\r     "), std::string::npos);
}

}  // namespace
}  // namespace convexscore
