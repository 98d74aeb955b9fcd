#!/bin/bash
# dm-verity 4: the same disk with one byte of the root partition flipped (in
# the middle of a file). The kernel must refuse that block: reading the file
# fails with an I/O error and dm-verity names the block, the same one that
# `keel verity verify` names on the host. The rest of the root still works.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../verity-lib.sh"
WORK=$1

verity_base
verity_disk_copy "$WORK/disk.img"
data_start=$(partition_start "$WORK/disk.img" 2)
hash_start=$(partition_start "$WORK/disk.img" 3)
offset=$(grep -obUa "$VERITY_PAYLOAD_LINE" "$WORK/disk.img" | head -n 1 | cut -d: -f1)
offset=$((offset + 10))
block=$(( (offset - data_start) / 4096 ))
echo "  flipping the byte at $offset (data block $block)"
byte=$(od -An -tu1 -j "$offset" -N 1 "$WORK/disk.img" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 0x01)))" | dd of="$WORK/disk.img" bs=1 seek="$offset" conv=notrunc status=none

# The host-side check names the same block.
dd if="$WORK/disk.img" of="$WORK/data.img" bs=1M iflag=skip_bytes,count_bytes skip="$data_start" \
        count=$((hash_start - data_start)) status=none
dd if="$WORK/disk.img" of="$WORK/hash.img" bs=1M iflag=skip_bytes skip="$hash_start" status=none
"$KEEL" verity verify "$WORK/data.img" "$WORK/hash.img" "$VERITY_ROOTHASH" 2>"$WORK/verify.err" && true
expect_true "keel verity verify names data block $block" grep -q "(data block $block)" "$WORK/verify.err"
rm -f "$WORK/data.img" "$WORK/hash.img"

qemu_boot "$WORK" "$WORK/disk.img" || true

expect_report_complete "$WORK"
expect_eq "veritysetup opened the root" "$(report_value "$WORK" VERITY-OPEN)" ok
expect_eq "root mounted" "$(report_value "$WORK" VERITY-MOUNT)" ok
expect_eq "marker program (other blocks) still runs" "$(report_value "$WORK" VERITY-MARKER)" KEEL-VERITY-MARKER-OK
payload=$(report_value "$WORK" VERITY-PAYLOAD)
expect_true "reading the damaged file fails with an I/O error ($payload)" grep -q "Input/output error" <<<"$payload"
expect_true "dm-verity reports data block $block corrupted" grep -q "data block $block is corrupted" \
        <(report_value "$WORK" VERITY-KERNEL)
exit $((FAILURES > 0))
