#!/bin/bash
# Far more entries than the loader keeps (issue #11): 5000 small UKIs and
# one real, newer one. All have ID=small, so the real one (VERSION_ID=2)
# comes first in menu order; the small ones (VERSION_ID=1) follow by ID,
# newest first (s4999.efi, s4998.efi, ...). The loader keeps the first 1024 in menu order, whatever
# order the FAT directory lists the files in, so it boots the real one (it
# used to keep the first 1024 files it found and drop the real one), and it
# leaves out exactly the entries `keel entries` leaves out on the same tree.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../loader-lib.sh"
WORK=$1
IMG=$WORK/disk.img
N_SMALL=5000

esp_image_create "$IMG" 192
esp_put "$IMG" "$KEEL_EFI" /EFI/BOOT/BOOTX64.EFI
esp_write "$IMG" /loader/loader.conf $'timeout 0\n'
make_keel_uki "$WORK/real.efi" small 2 many-entries-real
mkdir -p "$WORK/tree/EFI/Linux"
cp "$WORK/real.efi" "$WORK/tree/EFI/Linux/real.efi"
# Small UKIs (about 1 KiB: PE headers, .osrel, a stand-in .linux; nothing
# is booted from them), made with the PE writer of the fuzz corpus. Names
# that are valid 8.3 names already ("s0042.efi"): mtools needs no "~N"
# short names for them, which would take it minutes for 5000 files.
python3 - "$KEEL_SRC/tests/fuzz/make-pe-corpus.py" "$WORK/small" "$N_SMALL" <<'PY'
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("pecorpus", sys.argv[1])
pe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pe)
os.makedirs(sys.argv[2], exist_ok=True)
image = pe.small(pe.stub_sections() + [(".osrel", b"ID=small\nVERSION_ID=1\n"), (".linux", b"MZ" + b"\0" * 62)]).build()
for i in range(int(sys.argv[3])):
    with open(os.path.join(sys.argv[2], f"s{i:04d}.efi"), "wb") as f:
        f.write(image)
PY
cp "$WORK"/small/* "$WORK/tree/EFI/Linux/"
# The real one last: it is the last file in the FAT directory.
mcopy -i "$IMG@@1M" "$WORK"/small/* ::/EFI/Linux/
mcopy -i "$IMG@@1M" "$WORK/real.efi" ::/EFI/Linux/
expect_eq "the ESP holds all the UKIs" "$(esp_ls "$IMG" /EFI/Linux | wc -l)" $((N_SMALL + 1))

# What `keel entries` predicts for the same tree.
mkdir -p "$WORK/tree/loader" "$WORK/efivars"
printf 'timeout 0\n' >"$WORK/tree/loader/loader.conf"
KEEL_EFIVARFS=$WORK/efivars "$KEEL" entries --esp "$WORK/tree" --json >"$WORK/keel-entries.json" 2>"$WORK/keel-entries.err"
expect_eq "keel entries: the default is the real one" \
        "$(python3 -c 'import json, sys; print([e["id"] for e in json.load(open(sys.argv[1])) if e["is_default"]][0])' "$WORK/keel-entries.json")" \
        real.efi

QEMU_TIMEOUT=600 qemu_boot "$WORK/run" "$IMG" || true
expect_report_complete "$WORK/run"
expect_eq "the real UKI booted" "$(booted_marker "$WORK/run")" many-entries-real
expect_eq "LoaderEntrySelected" "$(report_value "$WORK/run" "EFIVAR LoaderEntrySelected")" real.efi
# The entries left out, as the loader's console and keel entries name them.
tr -d '\r' <"$WORK/run/console.log" | sed -n 's/^keel: \([^:]*\): too many boot entries.*/\1/p' | sort >"$WORK/loader-dropped"
sed -n 's/^keel: warning: \([^:]*\): too many boot entries.*/\1/p' "$WORK/keel-entries.err" | sort >"$WORK/keel-dropped"
expect_eq "the loader left out all but 1024" "$(wc -l <"$WORK/loader-dropped")" $((N_SMALL + 1 - 1024))
expect_true "the loader left out exactly what keel entries left out" cmp -s "$WORK/loader-dropped" "$WORK/keel-dropped"
expect_eq "the oldest ones were left out" "$(head -n 1 "$WORK/loader-dropped") $(tail -n 1 "$WORK/loader-dropped")" \
        "s0000.efi s3976.efi"
exit $((FAILURES > 0))
