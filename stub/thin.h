/* SPDX-License-Identifier: MIT */
/* A thin UKI's kernel and initrd (common/thin.h): read from the UKI's own
 * volume into memory once, checked against the size and SHA-256 its
 * signed .tlinux/.tinitrd name, and then measured and booted from those
 * very buffers (nothing is read from the disk again). */
#pragma once

#include "../efi/self.h"
#include "../common/measure.h"

struct stub_thin {
        void *linux_data; /* NULL when the UKI has no .tlinux */
        size_t linux_size;
        void *initrd_data; /* NULL when the UKI has no .tinitrd */
        size_t initrd_size;
};

/* Reads and checks the content of each reference the UKI has. On any
 * mismatch, missing file or read error one console line says which, nothing
 * is kept, and the error is returned (the loader then falls back). */
EFI_STATUS stub_thin_load(const struct self_image *self, struct stub_thin *ret);

/* For measure_uki_events(). */
struct measure_thin_content stub_thin_content(const struct stub_thin *t);

void stub_thin_free(struct stub_thin *t);
