#!/bin/bash
# PCR 11 of a 75 MB UKI (64 MiB initrd): keel pcr predict on the UKI vs
# systemd-measure calculate on its sections, extracted beforehand (not
# timed). Both: all four banks, the four default phases.
source "$(dirname "$0")/lib.sh"
W=$BUILD/bench/pcr-predict
mkdir -p "$W"
kernel=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
head -c $((64 * 1024 * 1024)) /dev/urandom >"$W/initrd.img"
"$KEEL" uki build --stub "$BUILD/keelx64.efi" --linux "$kernel" --initrd "$W/initrd.img" \
        --cmdline "console=ttyS0 quiet" --os-release $'ID=bench\nVERSION_ID=1\n' -o "$W/uki.efi"
args=()
for s in linux osrel cmdline initrd; do
        objcopy -O binary --only-section=.$s "$W/uki.efi" "$W/$s"
        args+=("--$s=$W/$s")
done
keel_predict() { "$KEEL" pcr predict "$W/uki.efi"; }
measure_calculate() { /usr/lib/systemd/systemd-measure calculate "${args[@]}"; }

# median_cpu_seconds CMD...: median user+sys CPU time over $RUNS runs (bash's
# `time`): the work done, which other load on the machine does not inflate.
median_cpu_seconds() {
        local TIMEFORMAT='%U %S' cpu=()
        for _ in $(seq "$RUNS"); do
                cpu+=($( { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{ print $1 + $2 }'))
        done
        printf '%s\n' "${cpu[@]}" | sort -n | awk '{ a[NR] = $1 } END { printf "%.3f\n", a[int((NR + 1) / 2)] }'
}

t_keel=$(median_seconds keel_predict)
t_measure=$(median_seconds measure_calculate)
c_keel=$(median_cpu_seconds keel_predict)
c_measure=$(median_cpu_seconds measure_calculate)
size=$(stat -c %s "$W/uki.efi")
result "PCR 11 of a $((size / 1000000)) MB UKI, 4 banks x 4 phases: keel pcr predict (one thread per core) vs systemd-measure calculate (extracted sections), wall time" \
        "${t_keel} s vs ${t_measure} s: $(ratio "$t_measure" "$t_keel")x faster"
result "the same, CPU time (user+sys)" "${c_keel} s vs ${c_measure} s: $(ratio "$c_measure" "$c_keel")x"
rm -f "$W"/*
