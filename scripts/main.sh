#!/usr/bin/env bash
# Fresh machine to first result: install dependencies, build, run the main job.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
bash scripts/run_main_job.sh
