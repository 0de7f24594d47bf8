#include "cli/data_args.h"

#include <cmath>
#include <limits>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/shared_model_json.h"
#include "convexscore/io/numbers.h"

namespace convexscore::cli {

void AddDataOptions(CLI::App& command, DataArgs& args) {
  CLI::Option* file =
      command.add_option("--data", args.file, "CSV file with the data (or use --generate)")
                          ->option_text("FILE.csv");
  CLI::Option* column =
      command
          .add_option("--column", args.column,
                      "column to read: header name or 0-based index (default: the first)")
          ->option_text("NAME|INDEX");
  CLI::Option* generator =
      command.add_option("--generate", args.generator,
                         "use a built-in 1-D data generator instead: a distribution spec such as "
                         "gaussian, mixture, laplace, uniform:-1:1 or mixture:0.5,-1,0.3;0.5,1,0.3 "
                         "(docs/data.md)")
          ->option_text("SPEC");
  CLI::Option* n =
      command.add_option("--n", args.n, "number of generated points (default " + args.n + ")")
          ->option_text("N");
  CLI::Option* seed =
      command.add_option("--seed", args.seed, "generator seed (default " + args.seed + ")")
          ->option_text("S");
  file->excludes(generator);
  column->needs(file);
  n->needs(generator);
  seed->needs(generator);
}

double ParseFiniteOption(std::string_view option, std::string_view text) {
  const std::optional<double> value = ParseDouble(text);
  if (!value) throw Error(std::string(option) + ": '" + std::string(text) + "' is not a number");
  if (!std::isfinite(*value)) {
    throw Error(std::string(option) + ": '" + std::string(text) + "' is not a finite number");
  }
  return *value;
}

std::int64_t ParseIntegerOption(std::string_view option, std::string_view text) {
  const std::optional<std::int64_t> value = ParseInt64(text);
  if (!value) throw Error(std::string(option) + ": '" + std::string(text) + "' is not an integer");
  return *value;
}

std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text) {
  const std::optional<std::uint64_t> value = ParseUint64(text);
  if (!value) {
    throw Error(std::string(option) + ": '" + std::string(text) +
                "' is not a non-negative integer");
  }
  return *value;
}

bool IsMultivariateData(const DataArgs& args) {
  if (!args.columns.empty()) return true;
  if (args.file.empty() && !args.generator.empty()) {
    return ParseDistributionSpec(args.generator).Dimension() > 1;
  }
  return false;
}

namespace {

// --n of a generator: 2 <= n <= INT_MAX.
int ParseGeneratedCount(const DataArgs& args) {
  const std::int64_t n = ParseIntegerOption("--n", args.n);
  if (n < 2 || n > std::numeric_limits<int>::max()) {
    throw Error("--n: need 2 <= n <= " + std::to_string(std::numeric_limits<int>::max()) +
                " (got " + args.n + ")");
  }
  return static_cast<int>(n);
}

}  // namespace

LoadedDataND LoadDataND(const DataArgs& args) {
  if (!args.columns.empty() && args.file.empty()) throw Error("--columns needs --data FILE.csv");
  LoadedDataND loaded;
  if (!args.file.empty()) {
    std::vector<CsvColumnSelector> selectors;
    try {
      selectors = ParseCsvColumnList(args.columns);
    } catch (const Error& e) {
      throw Error(std::string("--columns: ") + e.what());
    }
    CsvColumns columns = ReadCsvColumns(args.file, selectors);
    loaded.x = std::move(columns.values);
    if (columns.has_header) loaded.names = columns.names;
    nlohmann::json names = nlohmann::json::array();
    for (const std::string& name : columns.names) names.push_back(name);
    loaded.source = {{"kind", "file"},
                     {"path", args.file},
                     {"column_indices", columns.indices},
                     {"column_names", names}};
    loaded.description = "file " + args.file + ", " + std::to_string(loaded.x.cols()) +
                         " columns" + (args.columns.empty() ? "" : " (" + args.columns + ")");
  } else if (!args.generator.empty()) {
    const int n = ParseGeneratedCount(args);
    const std::uint64_t seed = ParseUnsignedOption("--seed", args.seed);
    loaded.x = GenerateFromSpec(ParseDistributionSpec(args.generator), n, seed);
    for (int k = 1; k <= loaded.x.cols(); ++k) loaded.names.push_back("x" + std::to_string(k));
    loaded.source = {{"kind", "generator"}, {"generator", args.generator}, {"n", n}, {"seed", seed}};
    loaded.description = "generator " + args.generator + " (n = " + std::to_string(n) +
                         ", seed = " + std::to_string(seed) + ")";
  } else {
    throw Error("no data: give --data FILE.csv --columns x,y or --generate SPEC (e.g. spiral)");
  }
  if (loaded.x.cols() < 1 || loaded.x.rows() < 1) {
    throw Error((args.file.empty() ? loaded.description : args.file) + ": no data");
  }
  if (!loaded.x.allFinite()) {
    throw Error((args.file.empty() ? loaded.description : args.file) +
                ": the data contain a non-finite value");
  }
  return loaded;
}

nlohmann::json DataSummaryND(const LoadedDataND& data) {
  return DataSummaryNDJson(data.x, data.source);
}

LoadedData LoadData(const DataArgs& args) {
  LoadedData loaded;
  if (!args.file.empty()) {
    CsvColumn column = ReadCsvColumn(args.file, CsvColumnSelector::Parse(args.column));
    loaded.values = std::move(column.values);
    loaded.source = DataSource1D::File(args.file, column.index, column.name);
    loaded.description = "file " + args.file + ", " +
                         (column.name.empty() ? "column " + std::to_string(column.index)
                                              : "column '" + column.name + "'");
  } else if (!args.generator.empty()) {
    const int n = ParseGeneratedCount(args);
    const std::uint64_t seed = ParseUnsignedOption("--seed", args.seed);
    loaded.values = GenerateFromSpec1D(ParseDistributionSpec(args.generator), n, seed);
    loaded.source = DataSource1D::Generator(args.generator, n, seed);
    loaded.description = "generator " + args.generator + " (n = " + std::to_string(n) +
                         ", seed = " + std::to_string(seed) + ")";
  } else {
    throw Error("no data: give --data FILE.csv or --generate SPEC (e.g. gaussian, mixture, laplace)");
  }
  try {
    loaded.sample = MakeSample1D(loaded.values);
  } catch (const Error& e) {
    // The library does not know where the numbers came from; say it here.
    throw Error((args.file.empty() ? loaded.description : args.file) + ": " + e.what());
  }
  return loaded;
}

}  // namespace convexscore::cli
