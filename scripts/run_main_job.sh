#!/usr/bin/env bash
# The main job on built-in data: fit a ReLU score model to 1000 points of the two-component
# Gaussian mixture by the exact convex program, then evaluate the predicted score on a grid.
# Expects a build in ./build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p out
# The fit prints its report: status, objective and certificates, active neurons, thresholds.
build/convexscore fit --generate mixture --n 1000 --seed 1 --activation relu --beta 0.1 \
  --out out/model.json
# The mixture's points lie within about [-4, 4]; the grid shows the tails beyond them too.
build/convexscore score --model out/model.json --grid -6:6:401 --out out/score.csv
