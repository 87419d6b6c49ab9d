# What the benchmark scripts share. Source it first:  source "$(dirname "$0")/lib.sh"
#
# It sets strict mode (a failure inside $(...) stops the run too), a decimal point for printf and awk, the repository
# root as the working directory ($root), and an exit trap that stops every process handed to bench_track and removes
# the work folder made by bench_workdir, also when the script fails or is interrupted.
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$(pwd)

bench_pids=()
work=""

bench_cleanup() {
    local pid
    for pid in "${bench_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${bench_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n $work ]]; then rm -rf "$work"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM # through the EXIT trap

# bench_require script tool...: exits 2 naming the first missing tool.
bench_require() {
    local script=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$script needs $tool (apt-get install $*)" >&2; exit 2; }
    done
}

# bench_workdir name: makes the work folder $work, removed on exit.
bench_workdir() {
    work=$(mktemp -d "/tmp/lattice-$1.XXXXXX")
}

# bench_track pid: the process is stopped (SIGTERM, then waited for) on exit.
bench_track() {
    bench_pids+=("$1")
}

# bench_stop pid: stops a tracked process now.
bench_stop() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

# wait_ready url [any]: waits (up to 30 s) until url answers 2xx, or any HTTP status with "any"; returns 1 if not.
wait_ready() {
    local code
    for _ in $(seq 1 300); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true)
        if [[ $code == 2* || ( ${2:-} == any && $code != 000 ) ]]; then return 0; fi
        sleep 0.1
    done
    echo "not ready: $1" >&2
    return 1
}

# median: of the numbers on stdin, separated by spaces or newlines.
median() {
    tr ' ' '\n' | awk 'NF { print }' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# to_ms / to_us value: a wrk latency (245.00us, 1.23ms, 1.01s) in milliseconds / microseconds.
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.3f\n", n }'; }
to_us() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n += 0; else if (v ~ /ms$/) n *= 1000; else if (v ~ /s$/) n *= 1000000; printf "%.0f\n", n }'; }

# cpu_ticks pid...: user + system clock ticks of the processes (CLK_TCK per second); exits if one is gone.
cpu_ticks() {
    local total=0 pid
    for pid in "$@"; do
        [[ -r /proc/$pid/stat ]] || { echo "process $pid is gone" >&2; exit 1; }
        # The fields after the parenthesised name, which may hold spaces.
        total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{ print $12 + $13 }')))
    done
    echo "$total"
}
ticks_per_second=$(getconf CLK_TCK)
