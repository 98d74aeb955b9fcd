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

# boot_clock NAME IMG: boots IMG (qemu_boot of the sourced harness, in
# $W/NAME) and prints the seconds from the firmware starting its boot option
# (OVMF/AAVMF's "BdsDxe: starting") to the kernel's EFI stub loading the
# initrd, on the console's wall clock; "n/a" when either line is missing.
boot_clock() {
        local run=$W/$1 clock
        mkdir -p "$run"
        rm -rf "$run/tpm"
        QEMU_CONSOLE_SOCKET=1 qemu_boot "$run" "$2" >/dev/null 2>&1 &
        clock=$(python3 "$KEEL_SRC/bench/console-clock.py" "$run/console.sock" "BdsDxe: starting" \
                "EFI stub: Loaded initrd")
        wait
        echo "$clock"
}

# result NAME VALUE: one line for the summary table.
result() {
        printf '| %s | %s |\n' "$1" "$2" | tee -a "$BUILD/bench/results.md"
}
