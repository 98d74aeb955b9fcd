/* SPDX-License-Identifier: MIT */
/* Files beside the UKI on its volume that the stub hands to the booted OS in
 * cpio archives appended to the initrd, as systemd-stub does: credentials
 * (\loader\credentials\*.cred and <uki>.efi.extra.d\*.cred), system and
 * configuration extension images (<uki>.efi.extra.d\*.raw,
 * *.confext.raw, and the global ones in \loader\extensions\). Each
 * directory gives one archive (the layout is common/sidecar.h's), measured
 * whole as one EV_IPL event, byte for byte what systemd-stub measures. */
#pragma once

#include "measure.h"
#include "../common/sidecar.h"
#include "../efi/initrd.h"
#include "../efi/self.h"

/* The StubFeatures bits this file implements (systemd's numbering):
 * PICK_UP_CREDENTIALS (1 << 1), PICK_UP_SYSEXTS (1 << 2),
 * PICK_UP_CONFEXTS (1 << 8). */
#define STUB_SIDECAR_FEATURES ((UINT64_C(1) << 1) | (UINT64_C(1) << 2) | (UINT64_C(1) << 8))

struct stub_sidecars {
        struct initrd_piece archives[SIDECAR_KINDS];
        size_t n_archives;
};

/* Packs and measures whatever is there; never fails the boot (a file that
 * cannot be used is skipped with one console line). */
void stub_sidecars_pack(const struct self_image *self, struct stub_sidecars *ret, struct stub_measurements *m);

/* Appends the archives to the initrd, in systemd-stub's order. */
EFI_STATUS stub_sidecars_add_to_initrd(const struct stub_sidecars *s, struct initrd_list *initrd);

void stub_sidecars_free(struct stub_sidecars *s);
