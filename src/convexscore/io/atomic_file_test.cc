#include "convexscore/io/atomic_file.h"

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "convexscore/common.h"
#include "testutil/error_of.h"
#include "testutil/temp_directory.h"

namespace convexscore {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

using testutil::ErrorOf;

TEST(AtomicFileTest, WritesAndReplacesWithoutLeavingTemporaries) {
  const testutil::TempDirectory dir;
  const fs::path file = dir / "model.json";
  WriteFileAtomically(file, "first\n");
  EXPECT_EQ(testutil::ReadFileText(file), "first\n");
  WriteFileAtomically(file, std::string(1 << 20, 'x'));  // larger than one write() may take
  EXPECT_EQ(testutil::ReadFileText(file), std::string(1 << 20, 'x'));
  WriteFileAtomically(file, "");
  EXPECT_EQ(testutil::ReadFileText(file), "");
  EXPECT_THAT(dir.Names(), ElementsAre("model.json"));
}

TEST(AtomicFileTest, MissingDirectoryFailsCleanly) {
  const testutil::TempDirectory dir;
  const fs::path file = dir / "no_such_dir" / "model.json";
  EXPECT_EQ(ErrorOf([&] { WriteFileAtomically(file, "x"); }),
            "cannot write " + file.string() + ": directory " + (dir / "no_such_dir").string() +
                " does not exist");
  EXPECT_THAT(dir.Names(), IsEmpty());
}

TEST(AtomicFileTest, PathUnderARegularFileFailsCleanly) {
  // Works as root too, unlike a chmod-protected directory.
  const testutil::TempDirectory dir;
  const fs::path data = dir.Write("data.csv", "1\n2\n");
  const fs::path file = data / "model.json";
  const std::string message = ErrorOf([&] { WriteFileAtomically(file, "x"); });
  EXPECT_THAT(message, HasSubstr("cannot write " + file.string() + ": "));
  EXPECT_THAT(message, HasSubstr("ot a directory"));
  EXPECT_THAT(dir.Names(), ElementsAre("data.csv"));
  EXPECT_EQ(testutil::ReadFileText(data), "1\n2\n");
}

TEST(AtomicFileTest, ExistingDirectoryIsNotReplaced) {
  const testutil::TempDirectory dir;
  fs::create_directory(dir / "out");
  EXPECT_EQ(ErrorOf([&] { WriteFileAtomically(dir / "out", "x"); }),
            "cannot write " + (dir / "out").string() + ": it is a directory");
  EXPECT_TRUE(fs::is_directory(dir / "out"));
  EXPECT_THAT(dir.Names(), ElementsAre("out"));
  EXPECT_THAT(ErrorOf([&] { WriteFileAtomically(dir.path() / "", "x"); }),
              HasSubstr("the path names a directory"));
  EXPECT_THAT(ErrorOf([&] { WriteFileAtomically("", "x"); }), HasSubstr("empty file name"));
}

TEST(AtomicFileTest, CheckOutputWritableProbesWithoutLeavingFiles) {
  const testutil::TempDirectory dir;
  EXPECT_NO_THROW(CheckOutputWritable(dir / "model.json"));
  EXPECT_THAT(dir.Names(), IsEmpty());
  dir.Write("model.json", "old");
  EXPECT_NO_THROW(CheckOutputWritable(dir / "model.json"));  // replacing is fine
  EXPECT_EQ(testutil::ReadFileText(dir / "model.json"), "old");
  EXPECT_THAT(dir.Names(), ElementsAre("model.json"));

  EXPECT_THAT(ErrorOf([&] { CheckOutputWritable("/nonexistent_dir/x.json"); }),
              HasSubstr("cannot write /nonexistent_dir/x.json: directory /nonexistent_dir does "
                        "not exist"));
  EXPECT_THAT(ErrorOf([&] { CheckOutputWritable(dir / "model.json" / "x.json"); }),
              HasSubstr("ot a directory"));
}

TEST(AtomicFileTest, RelativeNameWritesIntoTheWorkingDirectory) {
  const testutil::TempDirectory dir;
  const fs::path previous = fs::current_path();
  fs::current_path(dir.path());
  CheckOutputWritable("plain.txt");
  WriteFileAtomically("plain.txt", "ok");
  fs::current_path(previous);
  EXPECT_EQ(testutil::ReadFileText(dir / "plain.txt"), "ok");
  EXPECT_THAT(dir.Names(), ElementsAre("plain.txt"));
}

}  // namespace
}  // namespace convexscore
