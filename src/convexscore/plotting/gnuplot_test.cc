#include "convexscore/plotting/gnuplot.h"

#include <stdlib.h>

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/io/read_file.h"
#include "testutil/error_of.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using testutil::ErrorOf;
using testutil::TempDirectory;
using ::testing::HasSubstr;

GnuplotScript SmallPlot() {
  GnuplotScript script;
  script.AddDataBlock("line", {{0.0, 1.0, 2.0}, {0.0, 1.0, 4.0}});
  script.AddLine("plot $line using 1:2 with lines title 'it''s a line'");
  return script;
}

TEST(ImageFormat, FromExtensionAnyCase) {
  EXPECT_EQ(ImageFormatOf("a/b.png"), ImageFormat::kPng);
  EXPECT_EQ(ImageFormatOf("B.PNG"), ImageFormat::kPng);
  EXPECT_EQ(ImageFormatOf("c.svg"), ImageFormat::kSvg);
  EXPECT_THAT(ErrorOf([] { ImageFormatOf("plot.pdf"); }), HasSubstr("must end in .png or .svg"));
  EXPECT_THAT(ErrorOf([] { ImageFormatOf("plot"); }), HasSubstr("plot"));
}

TEST(GnuplotScript, QuotesAndDataBlocksAreExact) {
  EXPECT_EQ(GnuplotQuote("it's"), "'it''s'");
  GnuplotScript script;
  script.AddDataBlock("d", {{0.1, -2.5}, {1e-300, std::nan("")}});
  EXPECT_EQ(script.text(), "$d << EOD\n0.1 1e-300\n-2.5 NaN\nEOD\n");
  EXPECT_THAT(ErrorOf([&] { script.AddDataBlock("e", {{1.0}, {1.0, 2.0}}); }),
              HasSubstr("different lengths"));
}

TEST(RenderFigure, WritesPngAndSvg) {
  const TempDirectory dir;
  RenderFigure(SmallPlot(), dir / "a.png");
  const std::string png = ReadFileBytes(dir / "a.png");
  ASSERT_GT(png.size(), 8u);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  RenderFigure(SmallPlot(), dir / "a.svg", {640, 400});
  const std::string svg = ReadFileBytes(dir / "a.svg");
  EXPECT_THAT(svg, HasSubstr("<svg"));
  EXPECT_THAT(svg, HasSubstr("width=\"640\""));
  EXPECT_THAT(svg, HasSubstr("it's a line"));
  // Only the two images: no temporary files left beside them.
  EXPECT_EQ(dir.Names(), (std::vector<std::string>{"a.png", "a.svg"}));
}

TEST(RenderFigure, GnuplotErrorIsReportedAndNothingIsWritten) {
  const TempDirectory dir;
  GnuplotScript script;
  script.AddLine("plot $missing_block using 1:2 with lines");
  const std::string message = ErrorOf([&] { RenderFigure(script, dir / "bad.png"); });
  EXPECT_THAT(message, HasSubstr("cannot render"));
  EXPECT_THAT(message, HasSubstr("gnuplot failed"));
  EXPECT_EQ(message.find('\n'), std::string::npos);
  EXPECT_TRUE(dir.Names().empty());
}

TEST(RenderFigure, MissingGnuplotIsNamed) {
  const TempDirectory dir;
  ::setenv("CONVEXSCORE_GNUPLOT", "/nonexistent/gnuplot", 1);
  const std::string message = ErrorOf([&] { RenderFigure(SmallPlot(), dir / "a.png"); });
  ::unsetenv("CONVEXSCORE_GNUPLOT");
  EXPECT_THAT(message, HasSubstr("cannot run '/nonexistent/gnuplot'"));
  EXPECT_THAT(message, HasSubstr("gnuplot-nox"));
  EXPECT_TRUE(dir.Names().empty());
}

TEST(RenderFigure, UnwritableDestinationFailsFirst) {
  const TempDirectory dir;
  EXPECT_THAT(ErrorOf([&] { RenderFigure(SmallPlot(), dir / "no-such-dir" / "a.png"); }),
              HasSubstr("does not exist"));
  EXPECT_THAT(ErrorOf([&] { RenderFigure(SmallPlot(), dir / "a.jpg"); }), HasSubstr(".png or .svg"));
}

}  // namespace
}  // namespace convexscore
