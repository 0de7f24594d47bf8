#!/usr/bin/env bash
# Fresh machine to test results: install dependencies, build, run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j2
