// Test helper for end-to-end tests of the `convexscore` program (CONVEXSCORE_CLI_PATH, a
// compile definition of the test binary): a fixture that runs the built binary in a fresh work
// directory and checks the contract for bad input.
#pragma once

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testutil/temp_directory.h"

namespace convexscore::testutil {

struct RunResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class CliFixture : public ::testing::Test {
 protected:
  // Runs `convexscore ARGS` with the work directory as the current directory. Output is
  // captured in a separate directory so that the work directory holds only what the
  // program (and the test) put there.
  RunResult Run(const std::string& args) const {
    const std::string command = "cd '" + work_.path().string() + "' && '" +
                                std::string(CONVEXSCORE_CLI_PATH) + "' " + args + " > '" +
                                (capture_ / "stdout").string() + "' 2> '" +
                                (capture_ / "stderr").string() + "'";
    const int status = std::system(command.c_str());
    RunResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    result.out = ReadFileText(capture_ / "stdout");
    result.err = ReadFileText(capture_ / "stderr");
    return result;
  }

  // The contract for bad input: exit code, one "error: ..." line on stderr containing
  // `expected`, nothing on stdout, and no file created or changed in the work directory.
  void ExpectCleanFailure(const std::string& args, const std::string& expected,
                          int exit_code = 1) const {
    SCOPED_TRACE("convexscore " + args);
    const std::vector<std::string> before = work_.Names();
    const RunResult result = Run(args);
    EXPECT_EQ(result.exit_code, exit_code);
    EXPECT_THAT(result.err, ::testing::StartsWith("error: "));
    EXPECT_THAT(result.err, ::testing::HasSubstr(expected));
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(work_.Names(), before) << "files appeared or vanished";
  }

  TempDirectory work_;
  TempDirectory capture_;
};

}  // namespace convexscore::testutil
