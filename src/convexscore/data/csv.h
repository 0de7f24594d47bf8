// Reading numeric columns from a CSV file, and writing numeric tables as CSV.
//
// Format accepted: comma-separated cells, one row per line (LF or CRLF), an optional header row
// (recognised because one of its cells is not a number), optional double quotes around a cell,
// blank lines ignored, spaces around cells ignored. Numbers use C syntax whatever the locale.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Dense>

namespace convexscore {

// Which column to read: by header name, by 0-based index, or (both empty) the first one.
struct CsvColumnSelector {
  std::optional<std::string> name;
  std::optional<std::size_t> index;

  // "" -> first column; a non-negative integer -> that index (unless the file has a header
  // cell with exactly that text, which then wins); anything else -> a header name.
  static CsvColumnSelector Parse(std::string_view text);
  std::string Describe() const;  // for messages: "first column", "column 'x'", "column 2"
};

struct CsvColumn {
  std::vector<double> values;
  bool has_header = false;
  std::size_t index = 0;    // 0-based index of the column read
  std::string name;         // its header cell ("" without a header)
};

// Reads the selected column. Throws Error (one line, naming the file and, where it applies, the
// line and column) for: a missing or unreadable file, no data rows, a non-numeric or empty cell,
// NaN or infinite values, an unknown column name, an index beyond the header, or a data row
// too short to have the column.
CsvColumn ReadCsvColumn(const std::filesystem::path& file,
                        const CsvColumnSelector& column = CsvColumnSelector{});

// Same, from text already in memory; `source` names it in messages.
CsvColumn ParseCsvColumn(std::string_view text, std::string_view source,
                         const CsvColumnSelector& column = CsvColumnSelector{});

// Several columns at once, as the coordinates of points: one row per data row.
struct CsvColumns {
  Eigen::MatrixXd values;            // data rows x selected columns, in the order asked for
  bool has_header = false;
  std::vector<std::size_t> indices;  // 0-based index of each column read
  std::vector<std::string> names;    // their header cells ("" without a header)
};

// "x,y" or "0,2": selectors (as CsvColumnSelector::Parse) separated by commas; "" or only
// spaces gives the empty list, which means every column. Throws Error for an empty item.
std::vector<CsvColumnSelector> ParseCsvColumnList(std::string_view text);

// Reads the selected columns, or every column when `columns` is empty. Errors as
// ReadCsvColumn, for whichever column a problem is in; when every column is read, each data
// row must have exactly as many cells as the first row.
CsvColumns ReadCsvColumns(const std::filesystem::path& file,
                          const std::vector<CsvColumnSelector>& columns = {});
CsvColumns ParseCsvColumns(std::string_view text, std::string_view source,
                           const std::vector<CsvColumnSelector>& columns = {});

// CSV text for a table: the header row, then one row per index, numbers written so that they
// read back exactly. All columns must have the same length (throws Error otherwise).
std::string FormatCsvTable(const std::vector<std::string>& header,
                           const std::vector<std::vector<double>>& columns);

// FormatCsvTable written atomically (see io/atomic_file.h).
void WriteCsvTable(const std::filesystem::path& file, const std::vector<std::string>& header,
                   const std::vector<std::vector<double>>& columns);

// FormatCsvTable and WriteCsvTable for points: one row per point, one column per coordinate
// (header.size() must equal points.cols()).
std::string FormatCsvPoints(const std::vector<std::string>& header, const Eigen::MatrixXd& points);
void WriteCsvPoints(const std::filesystem::path& file, const std::vector<std::string>& header,
                    const Eigen::MatrixXd& points);

}  // namespace convexscore
