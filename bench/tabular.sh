#!/usr/bin/env bash
# Accuracy benchmark of the tabular models (recommendation, fraud/anomaly, forecasting) against published
# figures: builds what it needs, prints one row per dataset and method (ours, published, time) and ends with
#   tabular: ml-100k RMSE = X (SVD++ 0.919), ODDS mean AUC delta vs IForest = D, M4 OWA hourly = H weekly = W
# Data comes from ../shared/datasets (or $LATTICE_DATASETS). Takes a few minutes on 2 cores.
# Other commands: bench/tabular.sh recommender|anomaly|forecast|ship-models [folder]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/Lattice.Bench.Tabular/Lattice.Bench.Tabular.csproj -c Release -nologo -v:q >/dev/null
exec dotnet bench/Lattice.Bench.Tabular/bin/Release/net10.0/Lattice.Bench.Tabular.dll "${@:-all}"
