# Benchmark helpers: time commands side by side in one run (these machines
# are noisy, so only ratios measured together mean something).
set -eu
KEEL_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${BUILD:=$KEEL_SRC/build}"
KEEL=$BUILD/keel
RUNS=${RUNS:-5}

# median_seconds CMD...: runs CMD $RUNS times (after one warm-up run) and
# prints the median wall time in seconds. $BENCH_CLEANUP, when set, runs
# untimed before each run (e.g. to remove the previous output).
median_seconds() {
        local times=() start end
        "$@" >/dev/null 2>&1
        for _ in $(seq "$RUNS"); do
                ${BENCH_CLEANUP:+eval "$BENCH_CLEANUP"}
                sync
                start=$(date +%s%N)
                "$@" >/dev/null 2>&1
                end=$(date +%s%N)
                times+=($(( end - start )))
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] / 1e9 }'
}

ratio() {
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f\n", a / b; else print "inf" }'
}

# result NAME VALUE: one line for the summary table.
result() {
        printf '| %s | %s |\n' "$1" "$2" | tee -a "$BUILD/bench/results.md"
}
