# Helpers the realos-* scenarios share, sourced after realos/lib.sh. Kept out
# of lib.sh on purpose: lib.sh is part of the image's cache keys, these only
# run the boots and read their reports.

# realos_boot WORK DEFAULT_TIMEOUT [QEMU ARGS...]: boots WORK/disk.img
# (QEMU_REBOOT from the caller for runs of several boots) within
# $REALOS_TIMEOUT or DEFAULT_TIMEOUT seconds and says how long it took.
# Under TCG a systemd boot takes 40-55 s, twice that on a busy machine.
realos_boot() {
        local work=$1 timeout=$2 start
        shift 2
        start=$(date +%s)
        QEMU_TIMEOUT=${REALOS_TIMEOUT:-$timeout} qemu_boot "$work" "$work/disk.img" "$@" || true
        echo "  firmware to power-off in $(( $(date +%s) - start )) s"
}

# report_values REPORT_LOG KEY: every value the report holds under KEY=, one a line.
report_values() {
        tr -d '\r' <"$1" | sed -n "s/^$2=//p"
}

lower() { tr "A-F" "a-f" <<<"$1"; }

# realos_last_report WORK: for runs of several boots, the last complete
# report (earlier boots may have started one before they rebooted) cut out
# into WORK/last/report.log; sets LAST=WORK/last and values KEY (its
# values under KEY=).
realos_last_report() {
        mkdir -p "$1/last"
        tr -d '\r' <"$1/report.log" | awk '/^KEEL-REPORT-BEGIN$/ { buf = "" } { buf = buf $0 "\n" }
                /^KEEL-REPORT-END$/ { last = buf } END { printf "%s", last }' >"$1/last/report.log"
        LAST=$1/last
        values() { report_values "$LAST/report.log" "$1"; }
}
