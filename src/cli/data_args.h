// Options and loading shared by the subcommands that read univariate data.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

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

// Command-line numbers, parsed the same way in every locale; errors name the option.
double ParseFiniteOption(std::string_view option, std::string_view text);
std::int64_t ParseIntegerOption(std::string_view option, std::string_view text);
std::uint64_t ParseUnsignedOption(std::string_view option, std::string_view text);

}  // namespace convexscore::cli
