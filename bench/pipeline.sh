#!/usr/bin/env bash
# support-triage through the gateway vs its slowest step called directly, in one run.
#
# 1. `lattice up` (Release) starts the gateway, the orchestrator and the language, sentiment and intent services as
#    separate processes, exactly as a user runs them (auth on; the per-key rate limit raised so it does not cap the run).
# 2. wrk at a fixed concurrency through the gateway: the pipeline's rps, p50 and p99, and its maximum throughput.
# 3. At half that throughput (an open-loop load at a fixed rate, latency measured from each request's due time):
#    the pipeline through the gateway, and each step's service called directly. The slowest step is the one with the
#    highest p99; the pipeline's overhead is its p99 minus that step's p99.
# Last line: "pipeline: p99 = X ms, overhead vs slowest step p99 = Y ms".
#
#   bench/pipeline.sh                # CONNECTIONS=16 DURATION=10 WARMUP=45 ROUNDS=3 BASE_PORT=17000
#
# The warm-up is long because five processes share two cores while tiered JIT settles: after 20 s of load the
# pipeline ran at 750 rps, after 50 s at 1,700.
#   RECORD=1 bench/pipeline.sh       # also append the run to bench/RESULTS.md
source "$(dirname "$0")/lib.sh"
CONNECTIONS=${CONNECTIONS:-16}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-45}
ROUNDS=${ROUNDS:-3}
BASE_PORT=${BASE_PORT:-17000}

bench_require bench/pipeline.sh wrk curl
bench_workdir pipeline-bench

echo "building (Release)..." >&2
for project in src/Lattice.Cli src/Lattice.Gateway src/Lattice.Orchestrator src/Services/Lattice.Services.Language \
    src/Services/Lattice.Services.Sentiment src/Services/Lattice.Services.Intent; do
    dotnet build "$project" -c Release --nologo -v q >/dev/null
done
dotnet build bench/Lattice.Bench.Load -c Release --nologo -v q >/dev/null
load="dotnet bench/Lattice.Bench.Load/bin/Release/net10.0/Lattice.Bench.Load.dll"

gateway_port=$BASE_PORT
orchestrator_port=$((BASE_PORT + 1))
declare -A step_port=([language]=$((BASE_PORT + 2)) [sentiment]=$((BASE_PORT + 3)) [intent]=$((BASE_PORT + 4)))
mkdir -p "$work/pipelines"
cp pipelines/support-triage.yaml "$work/pipelines/"
cat > "$work/lattice.yaml" <<YAML
dataFolder: data
configuration: Release
gateway:
  project: $root/src/Lattice.Gateway
  port: $gateway_port
  environment: { Lattice__Gateway__RateLimit__PermitsPerSecond: "1000000", Lattice__Gateway__RateLimit__Burst: "1000000", Logging__LogLevel__Default: Warning }
orchestrator:
  project: $root/src/Lattice.Orchestrator
  port: $orchestrator_port
  environment: { Logging__LogLevel__Default: Warning }
services:
  language: { project: $root/src/Services/Lattice.Services.Language, port: ${step_port[language]}, environment: { Logging__LogLevel__Default: Warning, Lattice__ModelServer__Root: $root/models } }
  sentiment: { project: $root/src/Services/Lattice.Services.Sentiment, port: ${step_port[sentiment]}, environment: { Logging__LogLevel__Default: Warning, Lattice__ModelServer__Root: $root/models } }
  intent: { project: $root/src/Services/Lattice.Services.Intent, port: ${step_port[intent]}, environment: { Logging__LogLevel__Default: Warning, Lattice__ModelServer__Root: $root/models } }
YAML

(cd "$work" && exec dotnet "$root/src/Lattice.Cli/bin/Release/net10.0/Lattice.Cli.dll" up --no-build --config lattice.yaml >"$work/up.log" 2>&1) &
supervisor=$!
bench_track "$supervisor" # SIGTERM: lattice up stops its children
for _ in $(seq 1 600); do
    grep -q "^Admin API key: " "$work/up.log" 2>/dev/null && break
    kill -0 "$supervisor" 2>/dev/null || { cat "$work/up.log" >&2; exit 1; }
    sleep 0.2
done
key=$(sed -n 's/^Admin API key: //p' "$work/up.log")
[[ -n $key ]] || { echo "lattice up did not become ready" >&2; cat "$work/up.log" >&2; exit 1; }

message='{"text": "My card still has not arrived and I am really annoyed about it"}'
pipeline_url="http://127.0.0.1:$gateway_port/api/pipelines/support-triage"
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$message'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $key"
LUA
# The first calls of cold processes can outlast a step's timeout (JIT); retry until one completes.
for attempt in $(seq 1 20); do
    curl -fsS "$pipeline_url" -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$message" \
        >"$work/sample.json" 2>/dev/null && break
    [[ $attempt == 20 ]] && { echo "support-triage did not answer 200 after 20 attempts" >&2; exit 1; }
    sleep 0.5
done

wrk_run() { # url seconds -> "rps p50 p99"
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$2"s --latency -s "$work/post.lua" "$1")
    local rps p50 p99
    rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    p50=$(to_ms "$(awk '$1=="50%" {print $2}' <<<"$out")")
    p99=$(to_ms "$(awk '$1=="99%" {print $2}' <<<"$out")")
    local errors
    errors=$(awk '/Non-2xx|Socket errors/' <<<"$out")
    [[ -z $errors ]] || echo "wrk: $errors" >&2
    echo "$rps $p50 $p99"
}
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }

echo "warming up ${WARMUP}s..." >&2
wrk_run "$pipeline_url" "$WARMUP" >/dev/null
read -r max_rps c_p50 c_p99 < <(wrk_run "$pipeline_url" "$DURATION")
rate=$((max_rps / 2))

open_loop() { # url body -> "rps p50 p99"
    local line
    line=$($load --url "$1" --rate "$rate" --duration "$DURATION" --warmup 3 --connections 64 --body "$2" --header "Authorization: Bearer $key")
    echo "$(field rps <<<" $line") $(field p50_ms <<<" $line") $(field p99_ms <<<" $line") $(field errors <<<" $line")"
}

# Rounds interleave the pipeline and the steps so the machine's noise hits them alike; each figure is the median
# of the rounds (a single 10 s window's p99 moves by milliseconds between identical runs on a shared machine).
declare -A all_rps all_p50 all_p99
p_err=0
for round in $(seq 1 "$ROUNDS"); do
    read -r r a b e < <(open_loop "$pipeline_url" "$message")
    all_rps[pipeline]+=" $r" all_p50[pipeline]+=" $a" all_p99[pipeline]+=" $b"
    p_err=$((p_err + e))
    for step in language sentiment intent; do
        read -r r a b _ < <(open_loop "http://127.0.0.1:${step_port[$step]}/v1/$step" "$message")
        all_rps[$step]+=" $r" all_p50[$step]+=" $a" all_p99[$step]+=" $b"
    done
    echo "round $round of $ROUNDS done" >&2
done
p_rps=$(median <<<"${all_rps[pipeline]}") p_p50=$(median <<<"${all_p50[pipeline]}") p_p99=$(median <<<"${all_p99[pipeline]}")
declare -A s_rps s_p50 s_p99
slowest="" slowest_p99=0
for step in language sentiment intent; do
    s_rps[$step]=$(median <<<"${all_rps[$step]}") s_p50[$step]=$(median <<<"${all_p50[$step]}") s_p99[$step]=$(median <<<"${all_p99[$step]}")
    if awk -v a="${s_p99[$step]}" -v b="$slowest_p99" 'BEGIN { exit !(a > b) }'; then
        slowest=$step slowest_p99=${s_p99[$step]}
    fi
done
overhead=$(awk -v a="$p_p99" -v b="$slowest_p99" 'BEGIN { printf "%.3f", a - b }')

commit=$(git rev-parse --short HEAD)
table=$(
    printf '| target | load | rps | p50 ms | p99 ms |\n|---|---|---:|---:|---:|\n'
    printf '| support-triage via gateway | %d connections (closed loop) | %s | %s | %s |\n' "$CONNECTIONS" "$max_rps" "$c_p50" "$c_p99"
    printf '| support-triage via gateway | %s req/s (open loop, half of max; median of %s rounds) | %s | %s | %s |\n' "$rate" "$ROUNDS" "$p_rps" "$p_p50" "$p_p99"
    for step in language sentiment intent; do
        printf '| %s service, direct%s | %s req/s (open loop) | %s | %s | %s |\n' "$step" "$([[ $step == "$slowest" ]] && echo ' (slowest)')" "$rate" "${s_rps[$step]}" "${s_p50[$step]}" "${s_p99[$step]}"
    done
)
p50_overhead=$(awk -v a="$p_p50" -v b="${s_p50[$slowest]}" 'BEGIN { printf "%.3f", a - b }')
table+=$'\n\n'"At p50 the pipeline adds $p50_overhead ms to its slowest step (it calls two steps one after the other, plus the gateway and orchestrator hops)."
summary="pipeline: p99 = $p_p99 ms, overhead vs slowest step p99 = $overhead ms"
echo "$table"
if [[ $p_err != 0 ]]; then echo "($p_err pipeline requests failed during the open-loop run)"; fi
echo "$summary"
if [[ ${RECORD:-0} == 1 ]]; then
    {
        printf '\n## pipeline (bench/pipeline.sh)\n\n%s, commit %s, %s, load average %s. Release build; one process per component started by lattice up.\n\n' \
            "$(date -u +%Y-%m-%d)" "$commit" "$(nproc) cores" "$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "$table"
        printf '\n`%s`\n' "$summary"
    } >> bench/RESULTS.md
fi
