#include "cli/data_args.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "convexscore/common.h"
#include "convexscore/data/csv.h"
#include "convexscore/data/distribution_spec.h"
#include "convexscore/data/generators.h"
#include "convexscore/io/score_model_nd_json.h"
#include "convexscore/io/numbers.h"

namespace convexscore::cli {
namespace {

int ParseGeneratedCount(const DataArgs& args) {
  const std::int64_t n = ParseIntegerOption("--n", args.n);
  if (n < 2 || n > std::numeric_limits<int>::max()) {
    throw Error("--n: need 2 <= n <= " + std::to_string(std::numeric_limits<int>::max()) +
                " (got " + args.n + ")");
  }
  return static_cast<int>(n);
}

std::string GeneratorDescription(const DataArgs& args, int n, std::uint64_t seed) {
  return "generator " + args.generator + " (n = " + std::to_string(n) +
         ", seed = " + std::to_string(seed) + ")";
}

}  // namespace

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
                         "use a built-in data generator instead: a distribution spec such as "
                         "gaussian, mixture, laplace, uniform:-1:1 or mixture:0.5,-1,0.3;0.5,1,0.3 "
                         "(fit and thresholds also take the 2-D laws moons, circle, spiral and "
                         "gmm-d:...; docs/data.md)")
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

int ParseThreadsOption(std::string_view text) {
  constexpr std::int64_t kMaxThreads = 1024;
  const std::int64_t threads = ParseIntegerOption("--threads", text);
  if (threads < 0 || threads > kMaxThreads) {
    throw Error("--threads: need 0 <= K <= " + std::to_string(kMaxThreads) + " (got " +
                std::string(text) + ")");
  }
  return static_cast<int>(threads);
}

std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text) {
  const std::optional<std::uint64_t> value = ParseUint64(text);
  if (!value) {
    throw Error(std::string(option) + ": '" + std::string(text) +
                "' is not a non-negative integer");
  }
  return *value;
}

std::optional<double> ParseGapToleranceOption(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const double tolerance = ParseFiniteOption("--gap-tolerance", text);
  if (tolerance <= 0) throw Error("--gap-tolerance must be positive");
  return tolerance;
}

std::optional<int> ParseMaxIterationsOption(const std::string& text) {
  if (text.empty()) return std::nullopt;
  const std::int64_t iterations = ParseIntegerOption("--max-iterations", text);
  if (iterations < 1 || iterations > 1'000'000) {
    throw Error("--max-iterations must be between 1 and 1000000");
  }
  return static_cast<int>(iterations);
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
    loaded.description = GeneratorDescription(args, n, seed);
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

void AddColumnsOption(CLI::App& command, DataArgs& args) {
  CLI::Option* columns =
      command
          .add_option("--columns", args.columns,
                      "multivariate data: the columns of --data to use as the coordinates, "
                      "header names or 0-based indices, at least two (e.g. x,y)")
          ->option_text("A,B[,...]");
  columns->excludes(command.get_option("--column"));
  columns->needs(command.get_option("--data"));
}

bool IsMultivariateData(const DataArgs& args) {
  if (!args.columns.empty()) return true;
  return !args.generator.empty() && args.file.empty() &&
         ParseDistributionSpec(args.generator).Dimension() >= 2;
}

LoadedPoints LoadPoints(const DataArgs& args) {
  LoadedPoints loaded;
  if (!args.file.empty()) {
    std::vector<CsvColumnSelector> selectors;
    try {
      selectors = ParseCsvColumnList(args.columns);
    } catch (const Error& e) {
      throw Error(std::string("--columns: ") + e.what());
    }
    if (selectors.size() < 2) {
      throw Error("--columns: give at least two columns for multivariate data (got '" +
                  args.columns + "'; use --column for univariate data)");
    }
    CsvColumns read = ReadCsvColumns(args.file, selectors);
    for (std::size_t a = 0; a < read.indices.size(); ++a) {
      for (std::size_t b = 0; b < a; ++b) {
        if (read.indices[a] == read.indices[b]) {
          throw Error("--columns: column " +
                      (read.names[a].empty() ? std::to_string(read.indices[a])
                                             : "'" + read.names[a] + "'") +
                      " is listed twice");
        }
      }
    }
    loaded.x = std::move(read.values);
    loaded.names = read.names;
    loaded.source = DataSourceND::File(args.file, read.indices, read.names);
    std::string list;
    for (std::size_t k = 0; k < read.indices.size(); ++k) {
      list += (k ? "," : "") + (read.names[k].empty() ? std::to_string(read.indices[k])
                                                      : read.names[k]);
    }
    loaded.description = "file " + args.file + ", columns " + list;
  } else if (!args.generator.empty()) {
    const DistributionSpec spec = ParseDistributionSpec(args.generator);
    const int n = ParseGeneratedCount(args);
    const std::uint64_t seed = ParseUnsignedOption("--seed", args.seed);
    loaded.x = GenerateFromSpec(spec, n, seed);
    loaded.names.assign(static_cast<std::size_t>(loaded.x.cols()), "");
    loaded.source = DataSourceND::Generator(args.generator, n, seed);
    loaded.description = GeneratorDescription(args, n, seed);
  } else {
    throw Error("no data: give --data FILE.csv --columns x,y or --generate SPEC (e.g. moons)");
  }
  return loaded;
}

LoadedDataND LoadDataND(const DataArgs& args) {
  LoadedPoints points = LoadPoints(args);
  LoadedDataND loaded{std::move(points.x), {}, std::move(points.source),
                      std::move(points.description)};
  if (args.file.empty()) {
    for (Eigen::Index k = 1; k <= loaded.x.cols(); ++k) loaded.names.push_back("x" + std::to_string(k));
  } else if (std::none_of(points.names.begin(), points.names.end(),
                          [](const std::string& name) { return name.empty(); })) {
    loaded.names = std::move(points.names);
  }
  return loaded;
}

nlohmann::json DataSummaryND(const LoadedDataND& data) {
  return DataSummaryNDJson(data.x, data.source);
}

}  // namespace convexscore::cli
