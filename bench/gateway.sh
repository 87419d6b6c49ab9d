#!/usr/bin/env bash
# Gateway vs nginx, side by side in one run: one sentiment upstream behind (a) Lattice.Gateway with API-key auth and
# per-key rate limiting on and (b) nginx with keep-alive upstream connections and one worker per core; wrk drives the
# upstream directly, then the gateway, then nginx, at the same concurrency, for several interleaved rounds (the machine is
# shared and noisy, so figures are medians and the verdict is a ratio). Prints rps, p50 and p99 per target; the last
# line is "gateway: rps ratio vs nginx = R, added p50 vs nginx = D us".
# A fourth target, "minimal", is a proxy on the building blocks issue 5 prescribes and nothing else: Kestrel forwarding
# through a pooled SocketsHttpHandler with no features at all (bench/Lattice.Bench.MinimalProxy). Its CPU per request, next to
# nginx's and the gateway's, splits the gap into what the .NET building blocks cost and what the gateway's features add.
# A fifth, "splice", is the floor of any .NET proxy: HTTP/1.1 messages copied between raw sockets with inline completions,
# no HTTP stack, no header touched (bench/Lattice.Bench.SocketSplice); it says how close .NET itself gets to nginx here.
#
#   bench/gateway.sh                 # UPSTREAM=auto: the real sentiment service when its project exists, else the stub
#   UPSTREAM=stub bench/gateway.sh   # the in-repo stub (bench/Lattice.Bench.SentimentStub)
#   RECORD=1 bench/gateway.sh        # also append the run to bench/RESULTS.md (a section per run; compare within one)
# .NET compiles hot code in the background (tiered JIT, dynamic PGO): on a loaded 2-core machine the gateway needs 40-50 s
# of continuous traffic to reach its steady state (CPU per request falls from ~50 us to ~15-20 us), hence the long
# WARMUP, given to every target alike; the gateway is warmed last so that it is measured right after.
# Knobs: CONNECTIONS (32), THREADS (1), DURATION (10s), WARMUP (60s), ROUNDS (3), BASE_PORT (18080),
# GATEWAY_ENV (extra NAME=value settings for the gateway process, for experiments).
source "$(dirname "$0")/lib.sh"

UPSTREAM=${UPSTREAM:-auto}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-1}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-60s}  # seconds, at least
ROUNDS=${ROUNDS:-3}
BASE_PORT=${BASE_PORT:-18080}
upstream_port=$((BASE_PORT + 1))
gateway_port=$((BASE_PORT + 2))
nginx_port=$((BASE_PORT + 3))
minimal_port=$((BASE_PORT + 4))
splice_port=$((BASE_PORT + 5))

bench_require bench/gateway.sh wrk nginx curl
bench_workdir gateway-bench

sentiment_project=src/Services/Lattice.Services.Sentiment
if [[ $UPSTREAM == auto ]]; then
    if [[ -f $sentiment_project/Lattice.Services.Sentiment.csproj ]]; then UPSTREAM=sentiment; else UPSTREAM=stub; fi
fi

echo "::: building (Release)"
projects=(src/Lattice.Gateway/Lattice.Gateway.csproj bench/Lattice.Bench.SentimentStub/Lattice.Bench.SentimentStub.csproj
    bench/Lattice.Bench.MinimalProxy/Lattice.Bench.MinimalProxy.csproj bench/Lattice.Bench.SocketSplice/Lattice.Bench.SocketSplice.csproj)
if [[ $UPSTREAM == sentiment ]]; then projects+=("$sentiment_project/Lattice.Services.Sentiment.csproj"); fi
for project in "${projects[@]}"; do
    dotnet build "$project" -c Release -nologo -v:q -o "$work/bin/$(basename "$project" .csproj)" >/dev/null
done

start_upstream() {
    local kind=$1
    if [[ $kind == sentiment ]]; then
        (cd "$root/$sentiment_project" && exec env Urls="http://127.0.0.1:$upstream_port" Logging__LogLevel__Default=Warning \
            dotnet "$work/bin/Lattice.Services.Sentiment/Lattice.Services.Sentiment.dll") >"$work/upstream.log" 2>&1 &
    else
        env Urls="http://127.0.0.1:$upstream_port" dotnet "$work/bin/Lattice.Bench.SentimentStub/Lattice.Bench.SentimentStub.dll" \
            >"$work/upstream.log" 2>&1 &
    fi
    upstream_pid=$!
    bench_track "$upstream_pid"
}

echo "::: starting the upstream ($UPSTREAM) on :$upstream_port"
start_upstream "$UPSTREAM"
if ! wait_ready "http://127.0.0.1:$upstream_port/health/ready"; then
    if [[ $UPSTREAM == sentiment ]]; then
        echo "the sentiment service did not start (log below); falling back to the stub" >&2
        tail -20 "$work/upstream.log" >&2 || true
        bench_stop "$upstream_pid"
        UPSTREAM=stub
        start_upstream stub
        wait_ready "http://127.0.0.1:$upstream_port/health/ready"
    else
        exit 1
    fi
fi

admin_key="lat_$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' | head -c 43)"
echo "::: starting the gateway on :$gateway_port (auth and rate limiting on, response cache off)"
# From its output folder, so its appsettings.json (the default route table) is the content root's.
(cd "$work/bin/Lattice.Gateway" && exec env Urls="http://127.0.0.1:$gateway_port" \
    Services__sentiment__Urls="http://127.0.0.1:$upstream_port" \
    Lattice__Gateway__Auth__DataFolder="$work/gateway-data" \
    Lattice__Gateway__Auth__BootstrapAdminKey="$admin_key" \
    Lattice__Gateway__Routes__sentiment__Cache=false \
    Lattice__Gateway__RateLimit__Enabled=true \
    Logging__LogLevel__Default=Warning \
    ${GATEWAY_ENV:-} \
    dotnet Lattice.Gateway.dll) >"$work/gateway.log" 2>&1 &
gateway_pid=$!
bench_track "$gateway_pid"
wait_ready "http://127.0.0.1:$gateway_port/health/ready" || { tail -20 "$work/gateway.log" >&2; exit 1; }

# A key that may only predict sentiment, with a limit far above what this machine can send: the bucket is
# checked on every request, it just never runs dry.
key=$(curl -fsS -X POST "http://127.0.0.1:$gateway_port/gateway/keys" -H "Authorization: Bearer $admin_key" \
    -H 'Content-Type: application/json' \
    -d '{"name":"bench","scopes":["predict:sentiment"],"permitsPerSecond":10000000,"burst":10000000}' |
    sed -n 's/.*"secret":"\([^"]*\)".*/\1/p')
[[ -n $key ]] || { echo "could not create a benchmark key" >&2; exit 1; }
export LATTICE_BENCH_KEY=$key

echo "::: starting nginx on :$nginx_port"
mkdir -p "$work/nginx"
sed -e "s|@PREFIX@|$work/nginx|g" -e "s|@NGINX_PORT@|$nginx_port|g" -e "s|@UPSTREAM_PORT@|$upstream_port|g" \
    bench/nginx/gateway-bench.conf.template >"$work/nginx/nginx.conf"
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" >"$work/nginx.log" 2>&1 &
nginx_pid=$!
bench_track "$nginx_pid"

echo "::: starting the minimal Kestrel + SocketsHttpHandler proxy on :$minimal_port"
env Urls="http://127.0.0.1:$minimal_port" UPSTREAM="http://127.0.0.1:$upstream_port" \
    dotnet "$work/bin/Lattice.Bench.MinimalProxy/Lattice.Bench.MinimalProxy.dll" >"$work/minimal.log" 2>&1 &
minimal_pid=$!
bench_track "$minimal_pid"

echo "::: starting the raw-socket splice on :$splice_port"
env LISTEN="127.0.0.1:$splice_port" UPSTREAM="http://127.0.0.1:$upstream_port" \
    dotnet "$work/bin/Lattice.Bench.SocketSplice/Lattice.Bench.SocketSplice.dll" >"$work/splice.log" 2>&1 &
splice_pid=$!
bench_track "$splice_pid"

targets=(direct gateway nginx minimal splice)
declare -A urls=(
    [direct]="http://127.0.0.1:$upstream_port/v1/sentiment"
    [gateway]="http://127.0.0.1:$gateway_port/api/sentiment/v1/sentiment"
    [nginx]="http://127.0.0.1:$nginx_port/api/sentiment/v1/sentiment"
    [minimal]="http://127.0.0.1:$minimal_port/v1/sentiment"
    [splice]="http://127.0.0.1:$splice_port/v1/sentiment"
)
wait_ready "${urls[minimal]}" any || { tail -20 "$work/minimal.log" >&2; exit 1; }
# The splice frames by Content-Length only (the services' error answers are chunked), so it is probed with a prediction.
for _ in $(seq 1 100); do
    curl -fs -o /dev/null -X POST "${urls[splice]}" -H 'Content-Type: application/json' -d '{"text":"ok"}' && break
    sleep 0.1
done
for target in "${targets[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "${urls[$target]}" -H "Authorization: Bearer $key" \
        -H 'Content-Type: application/json' -d '{"text":"ok"}')
    [[ $code == 200 ]] || { echo "$target answered $code, not 200" >&2; exit 1; }
done

# CPU time (clock ticks) of the processes that proxy for a target: none for direct, the gateway, nginx's workers, the
# minimal proxy, the splice.
proxy_ticks() {
    local list=()
    case $1 in
        gateway) list=("$gateway_pid") ;;
        minimal) list=("$minimal_pid") ;;
        splice) list=("$splice_pid") ;;
        nginx) mapfile -t list < <(pgrep -P "$nginx_pid") ;;
    esac
    if (( ${#list[@]} == 0 )); then echo 0; else cpu_ticks "${list[@]}"; fi
}

run_wrk() { # target -> "rps p50us p99us proxy_cpu_us_per_request"
    local out before after
    before=$(proxy_ticks "$1")
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/wrk-predict.lua "${urls[$1]}")
    after=$(proxy_ticks "$1")
    if grep -q 'Non-2xx or 3xx responses' <<<"$out"; then
        echo "$1: wrk saw non-2xx responses:" >&2
        grep 'Non-2xx' <<<"$out" >&2
        exit 1
    fi
    local rps p50 p99 requests cpu
    rps=$(awk '/^Requests\/sec:/ { print $2 }' <<<"$out")
    p50=$(to_us "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
    p99=$(to_us "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
    requests=$(awk '/requests in/ { print $1 }' <<<"$out")
    cpu=$(awk -v t=$((after - before)) -v hz="$ticks_per_second" -v n="$requests" 'BEGIN { printf "%.1f", t * 1000000 / hz / n }')
    echo "$rps $p50 $p99 $cpu"
}

# Warm-up: 5 s slices of the same load until WARMUP has passed and two slices in a row agree within 10 %
# (at most three times WARMUP), so every target is measured in its steady state.
warm_seconds=${WARMUP%s}
for target in direct nginx minimal splice gateway; do
    slices=() previous=0 elapsed=0
    while true; do
        rps_now=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d5s -s bench/wrk-predict.lua "${urls[$target]}" | awk '/^Requests\/sec:/ { printf "%.0f", $2 }')
        slices+=("$rps_now")
        elapsed=$((elapsed + 5))
        stable=$(awk -v a="$previous" -v b="$rps_now" 'BEGIN { print (a > 0 && b > 0 && (a - b) / b < 0.1 && (b - a) / b < 0.1) ? 1 : 0 }')
        previous=$rps_now
        if (( elapsed >= warm_seconds && stable == 1 )) || (( elapsed >= 3 * warm_seconds )); then break; fi
    done
    echo "::: warmed up $target for ${elapsed}s (rps per 5 s slice: ${slices[*]})"
done

declare -A results
order=("${targets[@]}")
for round in $(seq 1 "$ROUNDS"); do
    echo "::: round $round of $ROUNDS (wrk -t$THREADS -c$CONNECTIONS -d$DURATION)"
    for target in "${order[@]}"; do
        results[$target]+="$(run_wrk "$target")"$'\n'
        echo "    $target: $(tail -n 2 <<<"${results[$target]}" | head -1)"
    done
    order=("${order[@]:1}" "${order[0]}")
done

# proxy_cpu_us: CPU time the proxy process(es) spent per request, a measure of cost that the machine's noise
# (other processes taking the cores) blurs far less than rps.
printf '\n%-8s %12s %10s %10s %14s\n' target rps p50_us p99_us proxy_cpu_us
declare -A rps p50 p99 cpu
for target in "${targets[@]}"; do
    rows=$(sed '/^$/d' <<<"${results[$target]}")
    rps[$target]=$(awk '{ print $1 }' <<<"$rows" | median)
    p50[$target]=$(awk '{ print $2 }' <<<"$rows" | median)
    p99[$target]=$(awk '{ print $3 }' <<<"$rows" | median)
    cpu[$target]=$(awk '{ print $4 }' <<<"$rows" | median)
    printf '%-8s %12.0f %10.0f %10.0f %14.1f\n' "$target" "${rps[$target]}" "${p50[$target]}" "${p99[$target]}" "${cpu[$target]}"
done

ratio=$(awk -v g="${rps[gateway]}" -v n="${rps[nginx]}" 'BEGIN { printf "%.2f", g / n }')
added=$(awk -v g="${p50[gateway]}" -v n="${p50[nginx]}" 'BEGIN { printf "%.0f", g - n }')
summary="gateway: rps ratio vs nginx = $ratio, added p50 vs nginx = $added us"
proxies=$(awk -v g="${cpu[gateway]}" -v m="${cpu[minimal]}" -v n="${cpu[nginx]}" -v s="${cpu[splice]}" -v r="${rps[minimal]}" -v rs="${rps[splice]}" -v rn="${rps[nginx]}" \
    'BEGIN { printf "proxy CPU per request: splice / nginx = %.2f, minimal .NET proxy / nginx = %.2f, gateway / minimal .NET proxy = %.2f; rps vs nginx: splice %.2f, minimal .NET proxy %.2f", s / n, m / n, g / m, rs / rn, r / rn }')

if [[ ${RECORD:-0} == 1 ]]; then
    dirty=$(git diff --quiet HEAD -- . ':!bench/RESULTS.md' || echo ' (with uncommitted changes)')
    {
        echo
        echo "## gateway (\`bench/gateway.sh\`), $(date -u +%Y-%m-%d), commit \`$(git rev-parse --short HEAD)\`$dirty"
        echo
        echo "Upstream: **$UPSTREAM**$([[ $UPSTREAM == stub ]] && echo ' (bench/Lattice.Bench.SentimentStub: same route, response shape and size as the sentiment service, no model work)'). wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $ROUNDS interleaved rounds, medians; $(nproc) cores shared with other work."
        echo "Gateway: Release build, API-key auth (SHA-256, cached) and per-key token bucket on, response cache off, default telemetry (no OTLP exporter, so spans propagate but are not recorded; /metrics)."
        echo "nginx $(nginx -v 2>&1 | sed 's|nginx version: nginx/||'): worker_processes auto, keepalive 128 to the upstream, access_log off."
        echo "minimal: bench/Lattice.Bench.MinimalProxy, Kestrel forwarding through a pooled SocketsHttpHandler with no features."
        echo "splice: bench/Lattice.Bench.SocketSplice, HTTP/1.1 messages copied between raw sockets (inline completions), no HTTP stack: the .NET floor."
        echo
        echo "| target | rps | p50 (us) | p99 (us) | proxy CPU per request (us) |"
        echo "|---|---:|---:|---:|---:|"
        for target in "${targets[@]}"; do
            printf '| %s | %.0f | %.0f | %.0f | %.1f |\n' "$target" "${rps[$target]}" "${p50[$target]}" "${p99[$target]}" "${cpu[$target]}"
        done
        echo
        echo "Rounds (rps p50 p99 cpu): direct ${results[direct]//$'\n'/; }gateway ${results[gateway]//$'\n'/; }nginx ${results[nginx]//$'\n'/; }minimal ${results[minimal]//$'\n'/; }splice ${results[splice]//$'\n'/; }"
        echo
        echo "$proxies"
        echo
        echo "\`$summary\`"
    } >>bench/RESULTS.md
fi

echo
echo "$proxies"
echo "$summary"
