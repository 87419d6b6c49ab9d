#!/usr/bin/env bash
# What tail latency this machine can measure at all: the open-loop p50/p99 of bare Kestrel answering a fixed body,
# called directly, through one nginx proxy hop and through two (the gateway -> orchestrator shape without any of our
# code), at a fixed rate, in interleaved rounds. A p99 goal below the spread between identical rounds here cannot be
# verified on this machine, whatever the code does. Prints one line per round and target, then medians; the last
# line is "floor: p99 direct = A ms, one nginx hop = B ms, two hops = C ms (spread of direct p99 over rounds = S ms)".
#
#   bench/latency-floor.sh            # RATE=900 DURATION=10 ROUNDS=3 BASE_PORT=19000
#
# Every process started here is stopped on exit.
source "$(dirname "$0")/lib.sh"

RATE=${RATE:-900}
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
BASE_PORT=${BASE_PORT:-19000}
bench_require bench/latency-floor.sh nginx wrk curl
bench_workdir floor

echo "building (Release)..." >&2
dotnet build bench/Lattice.Bench.BareKestrel -c Release -nologo -v q >/dev/null
dotnet build bench/Lattice.Bench.Load -c Release -nologo -v q >/dev/null
load="dotnet bench/Lattice.Bench.Load/bin/Release/net10.0/Lattice.Bench.Load.dll"
body='{"text": "The acting was wonderful and the story kept me hooked until the very end."}'
printf '{"label":"positive","score":0.97,"scores":{"negative":0.03,"positive":0.97},"model":"sentiment","version":"1","id":"0123456789abcdef0123456789abcdef"}' >"$work/response.json"

bare_port=$((BASE_PORT + 1)) hop1_port=$((BASE_PORT + 2)) hop2_port=$((BASE_PORT + 3))
DOTNET_gcServer=0 BARE_MODE=endpoint BARE_BODY="$work/response.json" \
    dotnet bench/Lattice.Bench.BareKestrel/bin/Release/net10.0/Lattice.Bench.BareKestrel.dll \
    --urls "http://127.0.0.1:$bare_port" --Logging:LogLevel:Default=Warning >"$work/bare.log" 2>&1 &
bench_track $!

proxy() { # name port upstream_port: nginx with keep-alive upstream connections, one worker per core
    local prefix=$work/$1
    mkdir -p "$prefix"
    cat >"$prefix/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $prefix/body; proxy_temp_path $prefix/proxy; fastcgi_temp_path $prefix/fastcgi;
    uwsgi_temp_path $prefix/uwsgi; scgi_temp_path $prefix/scgi;
    keepalive_requests 1000000;
    upstream next { server 127.0.0.1:$3; keepalive 128; keepalive_requests 1000000; }
    server {
        listen 127.0.0.1:$2 reuseport;
        location / { proxy_pass http://next; proxy_http_version 1.1; proxy_set_header Connection ""; }
    }
}
CONF
    nginx -p "$prefix" -c "$prefix/nginx.conf" >"$prefix/stdout.log" 2>&1 &
    bench_track $!
}
proxy hop1 "$hop1_port" "$bare_port"
proxy hop2 "$hop2_port" "$hop1_port"

declare -A port=([direct]=$bare_port [one-hop]=$hop1_port [two-hops]=$hop2_port)
for target in direct one-hop two-hops; do
    for _ in $(seq 1 100); do
        curl -fs -o /dev/null -X POST -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:${port[$target]}/v1/sentiment" && break
        sleep 0.1
    done
    # Warm the JIT and the keep-alive pools before measuring.
    wrk -t1 -c16 -d5s -s <(printf 'wrk.method = "POST"\nwrk.body = [[%s]]\nwrk.headers["Content-Type"] = "application/json"\n' "$body") \
        "http://127.0.0.1:${port[$target]}/v1/sentiment" >/dev/null
done

field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }
declare -A p50 p99
printf '%-6s %-9s %9s %9s %9s\n' round target p50_ms p99_ms max_ms
for round in $(seq 1 "$ROUNDS"); do
    for target in direct one-hop two-hops; do
        line=" $($load --url "http://127.0.0.1:${port[$target]}/v1/sentiment" --rate "$RATE" --duration "$DURATION" --warmup 2 --connections 64 --body "$body")"
        [[ $(field errors <<<"$line") == 0 ]] || { echo "errors against $target: $line" >&2; exit 1; }
        p50[$target]="${p50[$target]:-} $(field p50_ms <<<"$line")"
        p99[$target]="${p99[$target]:-} $(field p99_ms <<<"$line")"
        printf '%-6s %-9s %9s %9s %9s\n' "$round" "$target" "$(field p50_ms <<<"$line")" "$(field p99_ms <<<"$line")" "$(field max_ms <<<"$line")"
    done
done

spread() { tr ' ' '\n' | grep -v '^$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%.3f", hi - lo }'; }
echo
printf '%-9s %13s %13s\n' target median_p50_ms median_p99_ms
for target in direct one-hop two-hops; do
    printf '%-9s %13s %13s\n' "$target" "$(median <<<"${p50[$target]}")" "$(median <<<"${p99[$target]}")"
done
echo "floor: p99 direct = $(median <<<"${p99[direct]}") ms, one nginx hop = $(median <<<"${p99[one-hop]}") ms, two hops = $(median <<<"${p99[two-hops]}") ms (spread of direct p99 over rounds = $(spread <<<"${p99[direct]}") ms)"
