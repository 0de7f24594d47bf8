// Test helper: the message of the convexscore::Error an action throws ("" if it throws none).
#pragma once

#include <string>

#include "convexscore/common.h"

namespace convexscore::testutil {

template <typename Action>
std::string ErrorOf(Action action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace convexscore::testutil
