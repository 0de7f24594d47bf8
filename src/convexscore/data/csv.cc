#include "convexscore/data/csv.h"

#include <algorithm>
#include <cmath>

#include "convexscore/common.h"
#include "convexscore/io/atomic_file.h"
#include "convexscore/io/numbers.h"
#include "convexscore/io/read_file.h"

namespace convexscore {
namespace {

namespace fs = std::filesystem;

// Cell text for a message: quoted, and short enough to keep the message on one line.
std::string Quote(std::string_view cell) {
  constexpr std::size_t kMaxShown = 40;
  std::string shown(cell.substr(0, kMaxShown));
  if (cell.size() > kMaxShown) shown += "...";
  return "'" + shown + "'";
}

// Splits one line into cells. A cell may be wrapped in double quotes (then "" stands for one
// quote and commas inside are kept); spaces around cells are dropped.
std::vector<std::string> SplitRow(std::string_view line, std::string_view source, int line_number) {
  std::vector<std::string> cells;
  std::size_t pos = 0;
  while (true) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
    std::string cell;
    if (pos < line.size() && line[pos] == '"') {
      ++pos;
      bool closed = false;
      while (pos < line.size()) {
        if (line[pos] == '"') {
          if (pos + 1 < line.size() && line[pos + 1] == '"') {
            cell += '"';
            pos += 2;
            continue;
          }
          ++pos;
          closed = true;
          break;
        }
        cell += line[pos++];
      }
      if (!closed) {
        throw Error(std::string(source) + " line " + std::to_string(line_number) +
                    ": unterminated quoted cell");
      }
      while (pos < line.size() && line[pos] != ',') {
        if (line[pos] != ' ' && line[pos] != '\t') {
          throw Error(std::string(source) + " line " + std::to_string(line_number) +
                      ": text after a closing quote");
        }
        ++pos;
      }
    } else {
      const std::size_t comma = line.find(',', pos);
      const std::size_t stop = comma == std::string_view::npos ? line.size() : comma;
      cell = std::string(TrimWhitespace(line.substr(pos, stop - pos)));
      pos = stop;
    }
    cells.push_back(std::move(cell));
    if (pos >= line.size()) break;
    ++pos;  // past the comma; a trailing comma yields a final empty cell
  }
  return cells;
}

// A header row has at least one non-empty cell that is not a number.
bool LooksLikeHeader(const std::vector<std::string>& cells) {
  return std::any_of(cells.begin(), cells.end(), [](const std::string& cell) {
    return !cell.empty() && !ParseDouble(cell).has_value();
  });
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) {
    if (!joined.empty()) joined += ", ";
    joined += Quote(name);
  }
  return joined;
}

}  // namespace

CsvColumnSelector CsvColumnSelector::Parse(std::string_view text) {
  CsvColumnSelector selector;
  text = TrimWhitespace(text);
  if (text.empty()) return selector;
  const bool all_digits = std::all_of(text.begin(), text.end(),
                                      [](char c) { return c >= '0' && c <= '9'; });
  if (all_digits) {
    if (const auto index = ParseUint64(text)) selector.index = static_cast<std::size_t>(*index);
  }
  selector.name = std::string(text);  // kept so a header cell "2" can still be named
  return selector;
}

std::string CsvColumnSelector::Describe() const {
  if (index) return "column " + std::to_string(*index);
  if (name) return "column " + Quote(*name);
  return "first column";
}

namespace {

// What the parser reads: the selected columns, or every column of the first row.
struct ColumnRequest {
  std::vector<CsvColumnSelector> selectors;
  bool every_column = false;
};

// Values row by row (row-major) plus what was resolved from the first row.
struct ParsedTable {
  std::vector<double> values;
  std::size_t rows = 0;
  bool has_header = false;
  std::vector<std::size_t> indices;
  std::vector<std::string> names;
};

// The index of the selected column, resolved against the first row: by exact header name
// first, then by index.
std::size_t ResolveColumn(const CsvColumnSelector& column, const std::vector<std::string>& cells,
                          bool has_header, const std::string& where, const std::string& at_line) {
  if (has_header) {
    const auto named =
        column.name ? std::find(cells.begin(), cells.end(), *column.name) : cells.end();
    if (named != cells.end()) return static_cast<std::size_t>(named - cells.begin());
    if (column.index) {
      if (*column.index >= cells.size()) {
        throw Error(at_line + ": column index " + std::to_string(*column.index) +
                    " is out of range (the header has " + std::to_string(cells.size()) +
                    " columns, numbered from 0)");
      }
      return *column.index;
    }
    if (column.name) {
      throw Error(where + ": no column named " + Quote(*column.name) + " (the header has " +
                  JoinNames(cells) + ")");
    }
    return 0;
  }
  if (column.name && !column.index) {
    throw Error(where + ": column " + Quote(*column.name) +
                " was requested by name but the file has no header row");
  }
  const std::size_t index = column.index.value_or(0);
  if (index >= cells.size()) {
    throw Error(at_line + ": column index " + std::to_string(index) +
                " is out of range (rows have " + std::to_string(cells.size()) +
                " columns, numbered from 0)");
  }
  return index;
}

// The one CSV table parser behind ParseCsvColumn and ParseCsvColumns.
ParsedTable ParseTable(std::string_view text, std::string_view source,
                       const ColumnRequest& request) {
  const std::string where(source);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 byte order mark

  ParsedTable table;
  bool first_row_seen = false;
  std::size_t first_row_width = 0;
  // How messages name each column, e.g. "column 'x' (index 1)" or "column 1".
  std::vector<std::string> column_labels;
  int line_number = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t newline = text.find('\n', pos);
    const std::size_t stop = newline == std::string_view::npos ? text.size() : newline;
    std::string_view line = text.substr(pos, stop - pos);
    pos = stop + 1;
    ++line_number;
    if (TrimWhitespace(line).empty()) continue;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const std::vector<std::string> cells = SplitRow(line, where, line_number);
    const std::string at_line = where + " line " + std::to_string(line_number);

    if (!first_row_seen) {
      first_row_seen = true;
      first_row_width = cells.size();
      // Semicolon-separated files (often with decimal commas) would otherwise be misread
      // silently: "1,5;2" splits into "1" and "5;2".
      if (std::any_of(cells.begin(), cells.end(), [](const std::string& cell) {
            return cell.find(';') != std::string::npos;
          })) {
        throw Error(at_line + ": found ';' but the cells must be separated by commas "
                    "(and decimals written with a point)");
      }
      table.has_header = LooksLikeHeader(cells);
      if (request.every_column) {
        for (std::size_t c = 0; c < cells.size(); ++c) table.indices.push_back(c);
      }
      for (const CsvColumnSelector& column : request.selectors) {
        table.indices.push_back(ResolveColumn(column, cells, table.has_header, where, at_line));
      }
      for (const std::size_t index : table.indices) {
        if (table.has_header) {
          table.names.push_back(cells[index]);
          column_labels.push_back("column " + Quote(cells[index]) + " (index " +
                                  std::to_string(index) + ")");
        } else {
          table.names.emplace_back();
          column_labels.push_back("column " + std::to_string(index));
        }
      }
      if (table.has_header) continue;
    }

    for (std::size_t c = 0; c < table.indices.size(); ++c) {
      const std::size_t index = table.indices[c];
      if (index >= cells.size()) {
        throw Error(at_line + ": row has " + std::to_string(cells.size()) + " cells, so " +
                    column_labels[c] + " is missing");
      }
      const std::string& cell = cells[index];
      if (cell.empty()) throw Error(at_line + ", " + column_labels[c] + ": empty cell");
      const std::optional<double> value = ParseDouble(cell);
      if (!value) {
        throw Error(at_line + ", " + column_labels[c] + ": " + Quote(cell) + " is not a number");
      }
      if (!std::isfinite(*value)) {
        throw Error(at_line + ", " + column_labels[c] + ": " + Quote(cell) +
                    " is not a finite number");
      }
      table.values.push_back(*value);
    }
    // Reading every column, a longer row means the table is not what it seems.
    if (request.every_column && cells.size() > first_row_width) {
      throw Error(at_line + ": row has " + std::to_string(cells.size()) + " cells but the " +
                  (table.has_header ? "header" : "first row") + " has " +
                  std::to_string(first_row_width));
    }
    ++table.rows;
  }

  if (!first_row_seen) throw Error(where + ": the file is empty");
  if (table.rows == 0) throw Error(where + ": no data rows after the header");
  return table;
}

}  // namespace

CsvColumn ParseCsvColumn(std::string_view text, std::string_view source,
                         const CsvColumnSelector& column) {
  ParsedTable table = ParseTable(text, source, ColumnRequest{{column}, false});
  CsvColumn result;
  result.values = std::move(table.values);
  result.has_header = table.has_header;
  result.index = table.indices.front();
  result.name = table.names.front();
  return result;
}

std::vector<CsvColumnSelector> ParseCsvColumnList(std::string_view text) {
  std::vector<CsvColumnSelector> selectors;
  if (TrimWhitespace(text).empty()) return selectors;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item =
        text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (TrimWhitespace(item).empty()) {
      throw Error("column list " + Quote(text) + ": item " +
                  std::to_string(selectors.size() + 1) + " is empty");
    }
    selectors.push_back(CsvColumnSelector::Parse(item));
    if (comma == std::string_view::npos) return selectors;
    start = comma + 1;
  }
}

CsvColumns ParseCsvColumns(std::string_view text, std::string_view source,
                           const std::vector<CsvColumnSelector>& columns) {
  const ParsedTable table = ParseTable(text, source, ColumnRequest{columns, columns.empty()});
  CsvColumns result;
  const auto rows = static_cast<Eigen::Index>(table.rows);
  const auto cols = static_cast<Eigen::Index>(table.indices.size());
  result.values = Eigen::Map<const Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic,
                                                 Eigen::RowMajor>>(table.values.data(), rows,
                                                                   cols);
  result.has_header = table.has_header;
  result.indices = table.indices;
  result.names = table.names;
  return result;
}

CsvColumns ReadCsvColumns(const fs::path& file, const std::vector<CsvColumnSelector>& columns) {
  const std::string text = ReadFileBytes(file);
  return ParseCsvColumns(text, file.string(), columns);
}

CsvColumn ReadCsvColumn(const fs::path& file, const CsvColumnSelector& column) {
  const std::string text = ReadFileBytes(file);
  return ParseCsvColumn(text, file.string(), column);
}

namespace {

// Header row, then `rows` rows of cell(r, c), numbers written so that they read back exactly.
template <typename Cell>
std::string FormatTable(const std::vector<std::string>& header, std::size_t rows, Cell cell) {
  std::string text;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (c > 0) text += ',';
    const std::string& name = header[c];
    if (name.find_first_of(",\"\r\n") == std::string::npos) {
      text += name;
    } else {  // quote, doubling inner quotes
      text += '"';
      for (char ch : name) text += ch == '"' ? std::string("\"\"") : std::string(1, ch);
      text += '"';
    }
  }
  text += '\n';
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < header.size(); ++c) {
      if (c > 0) text += ',';
      text += FormatDouble(cell(r, c));
    }
    text += '\n';
  }
  return text;
}

}  // namespace

std::string FormatCsvTable(const std::vector<std::string>& header,
                           const std::vector<std::vector<double>>& columns) {
  if (header.size() != columns.size()) {
    throw Error("CSV table: " + std::to_string(header.size()) + " header names for " +
                std::to_string(columns.size()) + " columns");
  }
  const std::size_t rows = columns.empty() ? 0 : columns.front().size();
  for (const auto& values : columns) {
    if (values.size() != rows) throw Error("CSV table: columns of different lengths");
  }
  return FormatTable(header, rows,
                     [&](std::size_t r, std::size_t c) { return columns[c][r]; });
}

std::string FormatCsvPoints(const std::vector<std::string>& header, const Eigen::MatrixXd& points) {
  if (header.size() != static_cast<std::size_t>(points.cols())) {
    throw Error("CSV table: " + std::to_string(header.size()) + " header names for " +
                std::to_string(points.cols()) + " columns");
  }
  return FormatTable(header, static_cast<std::size_t>(points.rows()),
                     [&](std::size_t r, std::size_t c) {
                       return points(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c));
                     });
}

void WriteCsvTable(const fs::path& file, const std::vector<std::string>& header,
                   const std::vector<std::vector<double>>& columns) {
  WriteFileAtomically(file, FormatCsvTable(header, columns));
}

void WriteCsvPoints(const fs::path& file, const std::vector<std::string>& header,
                    const Eigen::MatrixXd& points) {
  WriteFileAtomically(file, FormatCsvPoints(header, points));
}

}  // namespace convexscore
