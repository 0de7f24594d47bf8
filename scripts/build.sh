#!/usr/bin/env bash
# Configures (Release) and builds everything into ./build.
set -euo pipefail
cd "$(dirname "$0")/.."

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build --parallel "${JOBS:-2}"
