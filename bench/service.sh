#!/usr/bin/env bash
# Drives POST /v1/sentiment with wrk at a fixed concurrency against the sentiment service (micro-batching off,
# then on) and, in the same run, against bare Kestrel answering a fixed JSON body of the same size (the ceiling).
# A third target, the same fixed endpoint behind AddServiceDefaults (tracing, metrics, ProblemDetails), shows
# how much of the gap is the platform's shared plumbing rather than Lattice.Hosting.
# Prints rps, p50, p99 and process CPU per request (from /proc) for each, and the ratios; the last line is the
# headline ratio: the service with its default settings (batching off for the text classifiers, see
# docs/hosting.md) against bare Kestrel, as the median over rounds of the ratio measured within each round (each
# round runs every target back to back, so a burst of load from other jobs on this shared machine skews one round's
# pair rather than the whole result). CPU per request is the steadier figure when the machine is busy.
#
#   bench/service.sh        # CONNECTIONS=32 THREADS=1 DURATION=10 WARMUP=15 ROUNDS=3
#
# Release builds; servers and wrk share this machine. Every process started here is killed on exit.
# The warm-up is long on purpose: on a busy 2-core machine tiered JIT takes 10-20 s of load to settle.
source "$(dirname "$0")/lib.sh"

CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-15}
ROUNDS=${ROUNDS:-3}
(( ROUNDS >= 1 )) || { echo "ROUNDS must be at least 1" >&2; exit 2; }
SERVICE_PORT=${SERVICE_PORT:-5182}
BARE_PORT=${BARE_PORT:-5189}
DEFAULTS_PORT=${DEFAULTS_PORT:-5188}
TEXT=${TEXT:-"The acting was wonderful and the story kept me hooked until the very end."}

bench_require bench/service.sh wrk curl
[[ -d models/sentiment ]] || { echo "models/sentiment is missing" >&2; exit 2; }

bench_workdir service-bench

echo "building Release..." >&2
dotnet build -c Release -nologo -v:q src/Services/Lattice.Services.Sentiment >/dev/null
dotnet build -c Release -nologo -v:q bench/Lattice.Bench.BareKestrel >/dev/null
service_dll=src/Services/Lattice.Services.Sentiment/bin/Release/net10.0/Lattice.Services.Sentiment.dll
bare_dll=bench/Lattice.Bench.BareKestrel/bin/Release/net10.0/Lattice.Bench.BareKestrel.dll

printf '{"text": "%s"}' "$TEXT" >"$work/request.json"
cat >"$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("$work/request.json", "r")
wrk.body = f:read("*a")
f:close()
LUA

start_service() { # batching(true|false)
    DOTNET_gcServer=0 ASPNETCORE_ENVIRONMENT=Production \
        dotnet "$service_dll" --urls "http://127.0.0.1:$SERVICE_PORT" --contentRoot "$PWD/src/Services/Lattice.Services.Sentiment" \
        --Lattice:ModelServer:Root="$PWD/models" \
        --Lattice:ModelServer:Models:sentiment:Batching:Enabled="$1" \
        --Logging:LogLevel:Default=Warning >"$work/service.log" 2>&1 &
    service_pid=$!
    bench_track "$service_pid"
    wait_ready "http://127.0.0.1:$SERVICE_PORT/health/ready"
}

start_bare() { # mode port; sets bare_pid
    DOTNET_gcServer=0 BARE_MODE=$1 BARE_BODY="$work/response.json" \
        dotnet "$bare_dll" --urls "http://127.0.0.1:$2" --Logging:LogLevel:Default=Warning >"$work/bare-$1.log" 2>&1 &
    bare_pid=$!
    bench_track "$bare_pid"
    wait_ready "http://127.0.0.1:$2/v1/sentiment" any
}

# wrk: prints "rps p50_ms p99_ms cpu_us_per_request" for a run against $1, served by process $2.
measure() {
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" -s "$work/post.lua" "$1" >/dev/null
    local before after
    before=$(cpu_ticks "$2")
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/post.lua" "$1" >"$work/wrk.txt"
    after=$(cpu_ticks "$2")
    if grep -q "Socket errors" "$work/wrk.txt"; then # e.g. a reply slower than wrk's 2 s timeout: say so, keep going
        echo "warning: $1: $(grep "Socket errors" "$work/wrk.txt")" >&2
    fi
    if grep -q "Non-2xx" "$work/wrk.txt"; then
        echo "errors against $1:" >&2
        cat "$work/wrk.txt" >&2
        exit 1
    fi
    awk -v ticks=$((after - before)) -v hz="$ticks_per_second" '
        function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
        /requests in/ { requests = $1 }
        /Requests\/sec/ { rps = $2 }
        $1 == "50.000%" || $1 == "50%" { p50 = ms($2) }
        $1 == "99.000%" || $1 == "99%" { p99 = ms($2) }
        END {
            if (requests == 0 || rps == 0) { print "wrk completed no request" > "/dev/stderr"; exit 1 }
            printf "%.0f %.3f %.3f %.1f\n", rps, p50, p99, ticks * 1e6 / hz / requests
        }' "$work/wrk.txt"
}

# The bare servers answer with a body of the service's exact size.
start_service false
curl -fs -X POST -H 'Content-Type: application/json' --data-binary @"$work/request.json" \
    "http://127.0.0.1:$SERVICE_PORT/v1/sentiment" >"$work/response.json"
bench_stop "$service_pid"
start_bare endpoint "$BARE_PORT"
endpoint_pid=$bare_pid
start_bare defaults "$DEFAULTS_PORT"
defaults_pid=$bare_pid
echo "response body: $(wc -c <"$work/response.json") bytes; wrk -t$THREADS -c$CONNECTIONS, ${WARMUP}s warm-up + ${DURATION}s per run, $ROUNDS rounds" >&2

declare -A rps p50 p99 cpu ratios
add() { # name "rps p50 p99 cpu"
    read -r r a b c <<<"$2"
    rps[$1]=$(( ${rps[$1]:-0} + r ))
    p50[$1]="${p50[$1]:-} $a"
    p99[$1]="${p99[$1]:-} $b"
    cpu[$1]="${cpu[$1]:-} $c"
    if [[ $1 == bare ]]; then round_bare=$r; fi
    ratios[$1]="${ratios[$1]:-} $(awk -v s="$r" -v b="$round_bare" 'BEGIN { printf "%.3f", s / b }')"
}

# Rounds interleave the targets so machine noise hits them alike.
for round in $(seq 1 "$ROUNDS"); do
    result=$(measure "http://127.0.0.1:$BARE_PORT/v1/sentiment" "$endpoint_pid")
    add bare "$result"
    result=$(measure "http://127.0.0.1:$DEFAULTS_PORT/v1/sentiment" "$defaults_pid")
    add defaults "$result"
    for batching in false true; do
        start_service "$batching"
        result=$(measure "http://127.0.0.1:$SERVICE_PORT/v1/sentiment" "$service_pid")
        add "batching-$batching" "$result"
        bench_stop "$service_pid"
    done
    echo "round $round done: ratios (defaults, batching off, on) ${ratios[defaults]##* } ${ratios[batching-false]##* } ${ratios[batching-true]##* }" >&2
done

ratio() { printf '%.2f' "$(median <<<"${ratios[$1]}")"; }
printf '%-40s %9s %9s %9s %8s %7s\n' target rps p50_ms p99_ms cpu_us/r ratio
for name in bare defaults batching-false batching-true; do
    case $name in
        bare) label="bare Kestrel endpoint (ceiling)" ;;
        defaults) label="same endpoint + ServiceDefaults" ;;
        batching-false) label="sentiment service, batching off" ;;
        batching-true) label="sentiment service, batching on" ;;
    esac
    if [[ $name == bare ]]; then r=1.00; else r=$(ratio "$name"); fi
    printf '%-40s %9d %9s %9s %8s %7s\n' "$label" "$(( ${rps[$name]} / ROUNDS ))" "$(median <<<"${p50[$name]}")" "$(median <<<"${p99[$name]}")" \
        "$(median <<<"${cpu[$name]}")" "$r"
done
echo "rps: mean over rounds; p50, p99, CPU per request: median over rounds; ratio: median of the per-round ratios (service${ratios[batching-false]})"
echo "service: sentiment rps ratio vs bare Kestrel = $(ratio batching-false)"
