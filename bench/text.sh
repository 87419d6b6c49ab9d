#!/usr/bin/env bash
# Text models vs fastText: accuracy, macro-F1, training time, whole-process single-thread prediction
# speed and model size on language ID (UDHR -> Lingua), SST-2, BANKING77 and SMS spam.
#
#   bench/text.sh                 # everything (about 3-5 minutes on 2 cores)
#   RUNS=9 bench/text.sh          # more speed repetitions (the minimum is reported)
#   TASKS="spam intent" bench/text.sh
#
# Needs: the .NET SDK, fastText (Debian/Ubuntu: apt-get install fasttext), the shared datasets
# (LATTICE_DATASETS, else ../shared/datasets next to the repository).
#
# Both programs train single-threaded on the same split; fastText uses the settings its docs recommend
# (supervised tutorial: -lr 1.0 -epoch 25 -wordNgrams 2, with -bucket 200000 -dim 50; language ID:
# character n-grams -minn 2 -maxn 4 -dim 16 as for lid.176) on tutorial-preprocessed text. Speed: each
# program predicts the same raw test file (one text per line, labels to stdout) as a whole process,
# runs interleaved RUNS times, the fastest run counts; predictions/second = lines / wall seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATASETS="${LATTICE_DATASETS:-$(cd "$ROOT/.." && pwd)/shared/datasets}"
OUT="$ROOT/artifacts/bench/text"
RUNS="${RUNS:-5}"
TASKS="${TASKS:-language sentiment intent spam}"
FASTTEXT="${FASTTEXT:-fasttext}"
export LATTICE_DATASETS="$DATASETS" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

command -v "$FASTTEXT" >/dev/null || { echo "fastText not found: apt-get install fasttext (or set FASTTEXT)" >&2; exit 1; }
[ -d "$DATASETS" ] || { echo "datasets not found at $DATASETS (set LATTICE_DATASETS)" >&2; exit 1; }

echo "Building ..." >&2
dotnet build "$ROOT/src/Lattice.Cli/Lattice.Cli.csproj" -c Release -v q -nologo >&2
dotnet build "$ROOT/bench/Lattice.Bench.Text/Lattice.Bench.Text.csproj" -c Release -v q -nologo >&2
# ReadyToRun: the predictor is a short-lived process, so it runs precompiled code, compiled for this
# CPU's instruction set (as one would build a C++ tool with -march=native; fastText is Debian's generic build).
ISA=""
if grep -qw avx512f /proc/cpuinfo 2>/dev/null && grep -qw avx512bw /proc/cpuinfo; then ISA=x86-64-v4
elif grep -qw avx2 /proc/cpuinfo 2>/dev/null; then ISA=x86-64-v3; fi
rm -rf "$ROOT/bench/Lattice.Bench.TextPredict/obj/Release/net10.0/linux-x64/R2R" "$OUT/predict"
dotnet publish "$ROOT/bench/Lattice.Bench.TextPredict/Lattice.Bench.TextPredict.csproj" -c Release -r linux-x64 \
  --self-contained false -p:PublishReadyToRun=true ${ISA:+-p:PublishReadyToRunCrossgen2ExtraArgs=--instruction-set:$ISA} \
  -o "$OUT/predict" -v q -nologo >&2

LATTICE=(dotnet "$ROOT/src/Lattice.Cli/bin/Release/net10.0/lattice.dll")
TOOL=(dotnet "$ROOT/bench/Lattice.Bench.Text/bin/Release/net10.0/Lattice.Bench.Text.dll")
PREDICT="$OUT/predict/Lattice.Bench.TextPredict"

fasttext_args() {
  case "$1" in
    language) echo "-minn 2 -maxn 4 -dim 16 -lr 1.0 -epoch 25 -bucket 200000" ;;
    *) echo "-lr 1.0 -epoch 25 -wordNgrams 2 -bucket 200000 -dim 50" ;;
  esac
}

# seconds of wall and CPU (user + sys) of one run, output discarded
measure() {
  local TIMEFORMAT='%R %U %S' t
  t=$( { time "$@" >/dev/null 2>/dev/null; } 2>&1 )
  awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"$t"
}

min() { awk 'NR == 1 || $1 < m { m = $1 } END { print m }'; }

ROWS=()
for task in $TASKS; do
  dir="$OUT/$task"
  rm -rf "$dir" && mkdir -p "$dir/data" "$dir/ours" "$dir/fasttext"
  echo "[$task] exporting splits ..." >&2
  "${TOOL[@]}" export "$task" "$dir/data"
  read -r name classes extras <"$dir/data/info.txt"

  echo "[$task] training ours ..." >&2
  "${LATTICE[@]}" train "$task" --data "$DATASETS" --out "$dir/ours" >"$dir/ours/train.log"
  ours_train=$("${TOOL[@]}" info "$dir/ours/model.lattice")

  echo "[$task] training fastText ..." >&2
  read -r ft_train _ < <(measure "$FASTTEXT" supervised -input "$dir/data/train.ft" -output "$dir/fasttext/model" \
    $(fasttext_args "$task") -thread 1 -verbose 0)
  [ -f "$dir/fasttext/model.bin" ] || { echo "fastText training failed for $task" >&2; exit 1; }

  for split in test $extras; do
    "$PREDICT" "$dir/ours/model.lattice" "$dir/data/$split.txt" >"$dir/ours/$split.pred"
    "$FASTTEXT" predict "$dir/fasttext/model.bin" "$dir/data/$split.ft.txt" >"$dir/fasttext/$split.pred"
    read -r oa of om < <("${TOOL[@]}" score "$dir/data/$split.labels" "$dir/ours/$split.pred")
    read -r fa ff fm < <("${TOOL[@]}" score "$dir/data/$split.labels" "$dir/fasttext/$split.pred")
    n=$(wc -l <"$dir/data/$split.labels")
    label="$name"; [ "$split" != test ] && label="$name $split"

    ow=(); oc=(); fw=(); fc=()
    if [ "$split" = test ]; then
      echo "[$task] timing predictions ($RUNS interleaved runs each) ..." >&2
      for ((r = 0; r < RUNS; r++)); do
        read -r w c < <(measure "$PREDICT" "$dir/ours/model.lattice" "$dir/data/test.txt"); ow+=("$w"); oc+=("$c")
        read -r w c < <(measure "$FASTTEXT" predict "$dir/fasttext/model.bin" "$dir/data/test.txt"); fw+=("$w"); fc+=("$c")
      done
      o_wall=$(printf '%s\n' "${ow[@]}" | min); f_wall=$(printf '%s\n' "${fw[@]}" | min)
      o_cpu=$(printf '%s\n' "${oc[@]}" | min); f_cpu=$(printf '%s\n' "${fc[@]}" | min)
      o_size=$(stat -c %s "$dir/ours/model.lattice"); f_size=$(stat -c %s "$dir/fasttext/model.bin")
      ROWS+=("$label|$classes|$n|$oa|$fa|$of|$ff|$om|$fm|$ours_train|$ft_train|$o_wall|$f_wall|$o_cpu|$f_cpu|$o_size|$f_size")
    else
      ROWS+=("$label|$classes|$n|$oa|$fa|$of|$ff|$om|$fm||||||||")
    fi
  done
done

printf '%s\n' "${ROWS[@]}" | awk -F'|' '
function mb(b) { return b == "" ? "-" : sprintf("%.1f MB", b / 1048576) }
function pct(x) { return x == "" ? "-" : sprintf("%.2f", 100 * x) }
function rate(n, s) { return s == "" ? "-" : sprintf("%.0f", n / s) }
BEGIN {
  fmt = "%-22s %7s %7s | %7s %7s | %7s %7s | %7s %7s | %7s %7s | %9s %9s %6s | %8s %8s\n"
  printf fmt, "dataset", "classes", "test n", "acc %", "fT", "mF1 %", "fT", "meanCls", "fT", "train s", "fT", "pred/s", "fT", "cpu x", "size", "fT"
  printf fmt, "", "", "", "ours", "", "ours", "", "ours", "", "ours", "", "ours", "", "", "ours", ""
  worstR = 1e9; worstS = 1e9
}
{
  r = $5 > 0 ? $4 / $5 : 1e9; if (r < worstR) worstR = r
  speed = "-"; ftspeed = "-"; cpux = "-"
  if ($12 != "") {
    s = ($3 / $12) / ($3 / $13); if (s < worstS) worstS = s
    speed = rate($3, $12); ftspeed = rate($3, $13); cpux = sprintf("%.2f", $15 / $14)
  }
  printf fmt, $1, $2, $3, pct($4), pct($5), pct($6), pct($7), pct($8), pct($9), ($10 == "" ? "-" : $10), ($11 == "" ? "-" : sprintf("%.1f", $11)), speed, ftspeed, cpux, mb($16), mb($17)
}
END {
  print ""
  print "acc = accuracy; mF1 = macro-F1; meanCls = mean per-class accuracy (language ID: mean over the 75 languages, target >= 93 %);"
  print "pred/s = test lines / fastest whole-process wall time; cpu x = fastText CPU seconds / ours (> 1: ours uses less CPU)."
  printf "text: worst accuracy ratio vs fastText = %.2f, worst speed ratio = %.2f\n", worstR, worstS
}'
