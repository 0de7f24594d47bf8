// Options and loading shared by the subcommands that read univariate data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>
#include <Eigen/Dense>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "convexscore/data/sample1d.h"
#include "convexscore/io/model_json.h"

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

// d-dimensional data: the --columns of --data, or a --generate spec of any dimension.
struct LoadedDataND {
  Eigen::MatrixXd x;               // n x d
  std::vector<std::string> names;  // coordinate names: the header cells, x1..xd when generated,
                                   // empty for a file without a header
  nlohmann::json source;           // for the model file's "data" object
  std::string description;         // one line for reports
};

// True when the data are d-D for a fitter: --columns is given, or --generate names a law of
// dimension above 1.
bool IsMultivariateData(const DataArgs& args);

// Reads the columns (at least one) or generates the points; errors name the file or spec.
LoadedDataND LoadDataND(const DataArgs& args);

// The "data" object of a d-D model file (DataSummaryNDJson: n, dimension, mean, covariance,
// source).
nlohmann::json DataSummaryND(const LoadedDataND& data);

// Command-line numbers, parsed the same way in every locale; errors name the option.
double ParseFiniteOption(std::string_view option, std::string_view text);
std::int64_t ParseIntegerOption(std::string_view option, std::string_view text);
std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text);

}  // namespace convexscore::cli
