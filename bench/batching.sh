#!/usr/bin/env bash
# Is micro-batching worth it? Runs bench/Lattice.Bench.Hosting (Release) on each default text model:
# the batch path against the single-item path, and the micro-batcher against inline calls under load.
#   bench/batching.sh [models...]      # default: language sentiment intent spam
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build -c Release -nologo -v:q bench/Lattice.Bench.Hosting >/dev/null
models=("$@")
[[ ${#models[@]} -gt 0 ]] || models=(language sentiment intent spam)
for model in "${models[@]}"; do
    version=$(ls models/"$model" | sort -V | tail -1)
    dotnet bench/Lattice.Bench.Hosting/bin/Release/net10.0/Lattice.Bench.Hosting.dll "models/$model/$version" ${BENCH_ARGS:-}
    echo
done
