// Options and loading shared by the subcommands that read univariate data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/io/model_json.h"
#include "convexscore/io/score_model_nd_json.h"

namespace convexscore::cli {

// --data/--column or --generate/--n/--seed on `command`.
void AddDataOptions(CLI::App& command, DataArgs& args);

struct LoadedData {
  std::vector<double> values;  // raw points, in file or generation order
  Sample1D sample;             // validated summary the programs take
  DataSource1D source;
  std::string description;     // one line for reports
};

// Reads or generates the data and validates it (MakeSample1D). Errors name the file.
LoadedData LoadData(const DataArgs& args);

// --columns on `command` (multivariate data from --data; excludes --column).
void AddColumnsOption(CLI::App& command, DataArgs& args);

// Whether the data are multivariate: --columns given, or a --generate spec of dimension >= 2.
bool IsMultivariateData(const DataArgs& args);

struct LoadedPoints {
  Eigen::MatrixXd x;                // n x d, in file or generation order
  std::vector<std::string> names;   // header cells of the columns ("" without a header)
  DataSourceND source;
  std::string description;          // one line for reports
};

// Reads the --columns of --data (at least two, each once) or generates --generate's points.
// Checks only what the file format asks for (numbers, finite); the programs check the rest.
LoadedPoints LoadPoints(const DataArgs& args);

// The d-D data as the DSM fit and `train` take them: LoadPoints' points, with the names x1..xd
// for generated points and the source as its JSON object.
struct LoadedDataND {
  Eigen::MatrixXd x;               // n x d
  std::vector<std::string> names;  // header cells, x1..xd when generated, empty without header
  DataSourceND source;
  std::string description;         // one line for reports
};
LoadedDataND LoadDataND(const DataArgs& args);

// The "data" object of a d-D model file (DataSummaryNDJson of io/score_model_nd_json.h).
nlohmann::json DataSummaryND(const LoadedDataND& data);

// Command-line numbers, parsed the same way in every locale; errors name the option.
double ParseFiniteOption(std::string_view option, std::string_view text);
std::int64_t ParseIntegerOption(std::string_view option, std::string_view text);
std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text);
// --threads K: 0 <= K <= 1024, 0 meaning one per hardware thread.
int ParseThreadsOption(std::string_view text);

// The solver options of `fit` ("" = not given): --gap-tolerance (> 0) and --max-iterations
// (1 to 1000000).
std::optional<double> ParseGapToleranceOption(const std::string& text);
std::optional<int> ParseMaxIterationsOption(const std::string& text);

}  // namespace convexscore::cli
