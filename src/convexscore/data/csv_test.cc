#include "convexscore/data/csv.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// The message of the Error thrown by `read`, or "" if nothing was thrown.
template <typename Read>
std::string ErrorOf(Read read) {
  try {
    read();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string ParseError(std::string_view text, std::string_view column = "") {
  return ErrorOf([&] { ParseCsvColumn(text, "data.csv", CsvColumnSelector::Parse(column)); });
}

TEST(CsvColumnTest, HeaderlessSingleColumn) {
  const CsvColumn column = ParseCsvColumn("1\n2.5\n-3e2\n", "data.csv");
  EXPECT_FALSE(column.has_header);
  EXPECT_EQ(column.index, 0u);
  EXPECT_THAT(column.values, ElementsAre(1.0, 2.5, -300.0));
}

TEST(CsvColumnTest, HeaderIsDetectedAndFirstColumnIsTheDefault) {
  const CsvColumn column = ParseCsvColumn("x,y\n1,10\n2,20\n", "data.csv");
  EXPECT_TRUE(column.has_header);
  EXPECT_EQ(column.name, "x");
  EXPECT_THAT(column.values, ElementsAre(1.0, 2.0));
}

TEST(CsvColumnTest, ColumnByNameAndByIndex) {
  const std::string text = "id,value,weight\n1,0.5,9\n2,-0.25,9\n";
  EXPECT_THAT(ParseCsvColumn(text, "d", CsvColumnSelector::Parse("value")).values,
              ElementsAre(0.5, -0.25));
  const CsvColumn by_index = ParseCsvColumn(text, "d", CsvColumnSelector::Parse("2"));
  EXPECT_EQ(by_index.name, "weight");
  EXPECT_THAT(by_index.values, ElementsAre(9.0, 9.0));
  EXPECT_THAT(ParseCsvColumn("1,2\n3,4\n", "d", CsvColumnSelector::Parse("1")).values,
              ElementsAre(2.0, 4.0));
}

TEST(CsvColumnTest, HeaderNameThatLooksLikeAnIndexWins) {
  // Header "a,0": asking for "0" finds the column named "0", not index 0.
  const CsvColumn column = ParseCsvColumn("a,0\n1,2\n", "d", CsvColumnSelector::Parse("0"));
  EXPECT_EQ(column.index, 1u);
  EXPECT_THAT(column.values, ElementsAre(2.0));
}

TEST(CsvColumnTest, ToleratesCrlfBlankLinesSpacesBomQuotesAndNoFinalNewline) {
  const std::string text = "\xEF\xBB\xBF\"x\", \"y,z\"\r\n  1.5 ,  2\r\n\r\n\n+4,\"5\"\r\n 6 ,7  ";
  const CsvColumn x = ParseCsvColumn(text, "d");
  EXPECT_EQ(x.name, "x");
  EXPECT_THAT(x.values, ElementsAre(1.5, 4.0, 6.0));
  EXPECT_THAT(ParseCsvColumn(text, "d", CsvColumnSelector::Parse("y,z")).values,
              ElementsAre(2.0, 5.0, 7.0));
}

TEST(CsvColumnTest, ReadsFullPrecision) {
  const CsvColumn column = ParseCsvColumn("0.1\n1e-300\n2.2250738585072014e-308\n", "d");
  EXPECT_EQ(column.values[0], 0.1);
  EXPECT_EQ(column.values[1], 1e-300);
  EXPECT_EQ(column.values[2], std::numeric_limits<double>::min());
}

TEST(CsvColumnErrorTest, EmptyFileAndHeaderOnly) {
  EXPECT_EQ(ParseError(""), "data.csv: the file is empty");
  EXPECT_EQ(ParseError("\n  \r\n"), "data.csv: the file is empty");
  EXPECT_EQ(ParseError("x,y\n"), "data.csv: no data rows after the header");
}

TEST(CsvColumnErrorTest, NonNumericCellNamesLineAndColumn) {
  EXPECT_EQ(ParseError("x,y\n1,2\n3,abc\n", "y"),
            "data.csv line 3, column 'y' (index 1): 'abc' is not a number");
  EXPECT_EQ(ParseError("1\n2\n1,5\n"), "");  // extra cells elsewhere do not matter
  EXPECT_EQ(ParseError("1\n2x\n"), "data.csv line 2, column 0: '2x' is not a number");
}

TEST(CsvColumnErrorTest, SemicolonSeparatedFilesAreRejectedNotMisread) {
  EXPECT_EQ(ParseError("x;y\n1,5;2,5\n"),
            "data.csv line 1: found ';' but the cells must be separated by commas (and "
            "decimals written with a point)");
}

TEST(CsvColumnErrorTest, EmptyCell) {
  EXPECT_EQ(ParseError("x,y\n1,\n", "y"), "data.csv line 2, column 'y' (index 1): empty cell");
}

TEST(CsvColumnErrorTest, NanAndInfinityAreRejected) {
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "Infinity", "1e999"}) {
    const std::string message = ParseError(std::string("x\n1\n") + bad + "\n");
    EXPECT_THAT(message, StartsWith("data.csv line 3, column 'x' (index 0): ")) << bad;
    EXPECT_THAT(message, HasSubstr("not a finite number")) << bad;
  }
}

TEST(CsvColumnErrorTest, UnknownColumnAndIndexOutOfRange) {
  EXPECT_EQ(ParseError("a,b\n1,2\n", "c"),
            "data.csv: no column named 'c' (the header has 'a', 'b')");
  EXPECT_EQ(ParseError("a,b\n1,2\n", "2"),
            "data.csv line 1: column index 2 is out of range (the header has 2 columns, "
            "numbered from 0)");
  EXPECT_EQ(ParseError("1,2\n3,4\n", "5"),
            "data.csv line 1: column index 5 is out of range (rows have 2 columns, numbered "
            "from 0)");
  EXPECT_EQ(ParseError("1,2\n3,4\n", "value"),
            "data.csv: column 'value' was requested by name but the file has no header row");
}

TEST(CsvColumnErrorTest, RaggedRowMissingTheColumn) {
  EXPECT_EQ(ParseError("a,b\n1,2\n3\n", "b"),
            "data.csv line 3: row has 1 cells, so column 'b' (index 1) is missing");
}

TEST(CsvColumnErrorTest, UnterminatedQuote) {
  EXPECT_EQ(ParseError("\"x\n1\n"), "data.csv line 1: unterminated quoted cell");
}

TEST(CsvFileTest, ReadsAFileAndNamesMissingOnes) {
  const testutil::TempDirectory dir;
  const auto file = dir.Write("values.csv", "v\n3\n1\n");
  EXPECT_THAT(ReadCsvColumn(file).values, ElementsAre(3.0, 1.0));

  const auto missing = dir / "missing.csv";
  EXPECT_EQ(ErrorOf([&] { ReadCsvColumn(missing); }),
            "cannot read " + missing.string() + ": No such file or directory");
  EXPECT_EQ(ErrorOf([&] { ReadCsvColumn(dir.path()); }),
            "cannot read " + dir.path().string() + ": it is a directory");
  const auto empty = dir.Write("empty.csv", "");
  EXPECT_EQ(ErrorOf([&] { ReadCsvColumn(empty); }), empty.string() + ": the file is empty");
}

TEST(CsvWriterTest, RoundTripsValuesExactly) {
  const std::vector<double> x = {-1.0, 0.1, 1.0 / 3.0, 1e-300, 6.02214076e23};
  const std::vector<double> y = {2.0, -0.0, 7.5, -1e300, 4.9e-324};
  const std::string text = FormatCsvTable({"x", "score"}, {x, y});
  EXPECT_THAT(text, StartsWith("x,score\n-1,2\n0.1,-0\n"));
  EXPECT_EQ(ParseCsvColumn(text, "t", CsvColumnSelector::Parse("x")).values, x);
  EXPECT_EQ(ParseCsvColumn(text, "t", CsvColumnSelector::Parse("score")).values, y);
}

TEST(CsvWriterTest, QuotesAwkwardHeaderNames) {
  const std::string text = FormatCsvTable({"a,b", "say \"hi\""}, {{1.0}, {2.0}});
  EXPECT_EQ(text, "\"a,b\",\"say \"\"hi\"\"\"\n1,2\n");
  EXPECT_THAT(ParseCsvColumn(text, "t", CsvColumnSelector::Parse("say \"hi\"")).values,
              ElementsAre(2.0));
}

TEST(CsvWriterTest, RejectsMismatchedColumns) {
  EXPECT_THROW(FormatCsvTable({"x", "y"}, {{1.0, 2.0}, {1.0}}), Error);
  EXPECT_THROW(FormatCsvTable({"x"}, {{1.0}, {1.0}}), Error);
}

TEST(CsvWriterTest, WritesAFile) {
  const testutil::TempDirectory dir;
  WriteCsvTable(dir / "t.csv", {"x", "score"}, {{1.0, 2.0}, {-1.0, -2.0}});
  EXPECT_EQ(testutil::ReadFileText(dir / "t.csv"), "x,score\n1,-1\n2,-2\n");
  EXPECT_THAT(dir.Names(), ElementsAre("t.csv"));
}


std::string ColumnsError(std::string_view text, std::string_view columns = "") {
  return ErrorOf([&] { ParseCsvColumns(text, "data.csv", ParseCsvColumnList(columns)); });
}

TEST(CsvColumnsTest, EveryColumnByDefault) {
  const CsvColumns table = ParseCsvColumns("x,y,z\n1,2,3\n4,5,6\n", "d");
  EXPECT_TRUE(table.has_header);
  EXPECT_THAT(table.names, ElementsAre("x", "y", "z"));
  EXPECT_THAT(table.indices, ElementsAre(0u, 1u, 2u));
  Eigen::MatrixXd expected(2, 3);
  expected << 1, 2, 3, 4, 5, 6;
  EXPECT_EQ(table.values, expected);
  const CsvColumns headerless = ParseCsvColumns("1,2\n3,4\n5,6\n", "d");
  EXPECT_FALSE(headerless.has_header);
  EXPECT_THAT(headerless.names, ElementsAre("", ""));
  EXPECT_EQ(headerless.values.rows(), 3);
  EXPECT_EQ(headerless.values(2, 1), 6.0);
}

TEST(CsvColumnsTest, SelectedColumnsInTheOrderAsked) {
  const std::string text = "id,x,y\n0,1.5,-2\n1,2.5,-3\n";
  const CsvColumns table = ParseCsvColumns(text, "d", ParseCsvColumnList("y, x"));
  EXPECT_THAT(table.names, ElementsAre("y", "x"));
  EXPECT_THAT(table.indices, ElementsAre(2u, 1u));
  Eigen::MatrixXd expected(2, 2);
  expected << -2, 1.5, -3, 2.5;
  EXPECT_EQ(table.values, expected);
  EXPECT_THAT(ParseCsvColumns(text, "d", ParseCsvColumnList("2,0")).names,
              ElementsAre("y", "id"));
  // Selected columns ignore extra cells elsewhere, as the single-column reader does.
  EXPECT_EQ(ParseCsvColumns("1,2\n3,4,5\n", "d", ParseCsvColumnList("0,1")).values.rows(), 2);
}

TEST(CsvColumnsTest, SingleColumnReaderIsTheSameParser) {
  const std::string text = "a,b\n1,2\n3,4\n";
  const CsvColumn b = ParseCsvColumn(text, "d", CsvColumnSelector::Parse("b"));
  const CsvColumns table = ParseCsvColumns(text, "d", ParseCsvColumnList("b"));
  EXPECT_EQ(b.values, std::vector<double>(table.values.data(), table.values.data() + 2));
}

TEST(CsvColumnsErrorTest, MessagesNameFileLineAndColumn) {
  EXPECT_EQ(ColumnsError(""), "data.csv: the file is empty");
  EXPECT_EQ(ColumnsError("x,y\n"), "data.csv: no data rows after the header");
  EXPECT_EQ(ColumnsError("x,y\n1,2\n3,nan\n"),
            "data.csv line 3, column 'y' (index 1): 'nan' is not a finite number");
  EXPECT_EQ(ColumnsError("x,y\n1,abc\n", "y,x"),
            "data.csv line 2, column 'y' (index 1): 'abc' is not a number");
  EXPECT_EQ(ColumnsError("1,2\n3,\n"), "data.csv line 2, column 1: empty cell");
  EXPECT_EQ(ColumnsError("x,y\n1,2\n", "x,z"),
            "data.csv: no column named 'z' (the header has 'x', 'y')");
  EXPECT_EQ(ColumnsError("x,y\n1,2\n", "0,5"),
            "data.csv line 1: column index 5 is out of range (the header has 2 columns, "
            "numbered from 0)");
  EXPECT_EQ(ColumnsError("1,2\n3,4\n", "x"),
            "data.csv: column 'x' was requested by name but the file has no header row");
  EXPECT_EQ(ColumnsError("x;y\n1;2\n"),
            "data.csv line 1: found ';' but the cells must be separated by commas (and "
            "decimals written with a point)");
}

TEST(CsvColumnsErrorTest, EveryColumnNeedsRowsOfOneWidth) {
  EXPECT_EQ(ColumnsError("x,y\n1,2\n3\n"),
            "data.csv line 3: row has 1 cells, so column 'y' (index 1) is missing");
  EXPECT_EQ(ColumnsError("x,y\n1,2\n3,4,5\n"), "data.csv line 3: row has 3 cells but the "
                                                "header has 2");
  EXPECT_EQ(ColumnsError("1,2\n3,4,5\n"), "data.csv line 2: row has 3 cells but the first "
                                           "row has 2");
}

TEST(CsvColumnsErrorTest, ColumnListItemsMustNotBeEmpty) {
  EXPECT_TRUE(ParseCsvColumnList("").empty());
  EXPECT_TRUE(ParseCsvColumnList("  ").empty());
  EXPECT_EQ(ErrorOf([] { ParseCsvColumnList("x,,y"); }), "column list 'x,,y': item 2 is empty");
  EXPECT_EQ(ErrorOf([] { ParseCsvColumnList("x,"); }), "column list 'x,': item 2 is empty");
}

TEST(CsvColumnsFileTest, ReadsAFileAndWritesPointsBackExactly) {
  const testutil::TempDirectory dir;
  Eigen::MatrixXd points(3, 2);
  points << 0.1, -1e-300, 1.0 / 3.0, 2.0, -7.25, 6.02214076e23;
  WriteCsvPoints(dir / "p.csv", {"x", "y"}, points);
  EXPECT_THAT(testutil::ReadFileText(dir / "p.csv"), StartsWith("x,y\n0.1,-1e-300\n"));
  const CsvColumns read = ReadCsvColumns(dir / "p.csv");
  EXPECT_EQ(read.values, points);
  EXPECT_THAT(read.names, ElementsAre("x", "y"));
  EXPECT_EQ(ErrorOf([&] { ReadCsvColumns(dir / "none.csv"); }),
            "cannot read " + (dir / "none.csv").string() + ": No such file or directory");
  EXPECT_THROW(FormatCsvPoints({"x"}, points), Error);
}

}  // namespace
}  // namespace convexscore
