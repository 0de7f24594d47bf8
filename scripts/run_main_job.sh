#!/usr/bin/env bash
# The main job on built-in data: fit a ReLU score model to 1000 points of the two-component
# Gaussian mixture by the exact convex program, evaluate the predicted score on a grid, draw
# Langevin samples from it, and draw the figures. Expects a build in ./build (scripts/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p out
# The fit prints its report: status, objective and certificates, active neurons, thresholds.
build/convexscore fit --generate mixture --n 1000 --seed 1 --activation relu --beta 0.1 \
  --out out/model.json
# The mixture's points lie within about [-4, 4]; the grid shows the tails beyond them too.
build/convexscore score --model out/model.json --grid -6:6:401 --out out/score.csv
# 20000 particles, 1000 steps of size 0.01 from N(0, 1): long past mixing for this score.
build/convexscore sample --model out/model.json --particles 20000 --steps 1000 --step-size 0.01 \
  --seed 1 --quiet --out out/samples.csv
echo "20000 Langevin samples written to out/samples.csv"
# Figures: the predicted score against the mixture's true score with the data marked, and the
# samples against the mixture's density and the model's exact stationary law.
build/convexscore plot score --model out/model.json --generate mixture --n 1000 --seed 1 \
  --target mixture --title "Convex ReLU score model (beta = 0.1) on 1000 mixture points" \
  --out out/score.png
build/convexscore plot samples --samples out/samples.csv --target mixture --model out/model.json \
  --title "Langevin samples from the learned score" --out out/samples.png
