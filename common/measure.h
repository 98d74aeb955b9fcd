/* SPDX-License-Identifier: MIT */
/* What the stub measures into the TPM, as a list of events: which PCR, which
 * bytes, which description. The stub hands each event to the firmware; `keel
 * pcr predict`, `keel uki build --pcr-private-key` and the unit tests replay
 * the same list in software, so the three cannot drift apart. */
#pragma once

#include "thin.h"
#include "uki.h"

/* The PCRs of the Linux TPM PCR Registry that keel writes to. */
#define MEASURE_PCR_BOOT_LOADER_CONFIG 5 /* the loader's loader.conf */
#define MEASURE_PCR_KERNEL_IMAGE 11     /* the UKI's sections */
#define MEASURE_PCR_KERNEL_PARAMETERS 12 /* a command line from outside the UKI */

/* Two events (name, then contents) for each measured section. */
#define MEASURE_UKI_EVENTS_MAX (2 * _UKI_SECTION_MAX)

/* How the image is held: as the firmware loaded it (sections at their
 * VirtualAddress, zero-filled up to VirtualSize) or as the file on disk
 * (sections at PointerToRawData; VirtualSize past SizeOfRawData reads as
 * zeros, the way the loader fills it). */
enum measure_layout {
        MEASURE_LAYOUT_MEMORY,
        MEASURE_LAYOUT_FILE,
};

/* One extend operation: the PCR receives H(data[0..size) followed by
 * zero_tail zero bytes). The event log describes it with description (ASCII
 * here; the firmware side logs it as UTF-16 with its NUL). */
struct measure_event {
        uint32_t pcr;
        enum uki_section section;
        const char *description;
        const uint8_t *data;
        size_t size;
        size_t zero_tail;
};

/* A thin UKI's content (common/thin.h), read from its volume by the caller:
 * linux_data for .tlinux, initrd_data for .tinitrd (NULL when the UKI has
 * no such reference). */
struct measure_thin_content {
        const void *linux_data;
        size_t linux_size;
        const void *initrd_data;
        size_t initrd_size;
};

/* The PCR 11 events for a parsed UKI held in image[0..len), in systemd-stub's
 * canonical section order: for every present, measured section (.pcrsig
 * never; sections with VirtualSize 0 count as absent, as in systemd-stub)
 * first its name as ASCII with the NUL, then its VirtualSize bytes of
 * contents. Fails with KEEL_E_UKI_NO_LINUX when the image has no .linux and
 * KEEL_E_MEASURE_SECTION_OUTSIDE_BUFFER when a section's bytes are not all in
 * the buffer.
 *
 * A thin UKI's .tlinux/.tinitrd is not measured; in the place of .linux
 * (.initrd) come the events ".linux" (".initrd") with the content from thin,
 * exactly those of a fat twin whose section holds the same bytes. The ref
 * must parse and its size match (KEEL_E_THIN_SIZE_MISMATCH); its SHA-256 is
 * the caller's to check (thin_ref_check_content()) before it measures or
 * boots. thin is NULL for a fat UKI; a thin one without its content fails
 * with KEEL_E_THIN_NO_CONTENT. */
int measure_uki_events(const struct uki_sections *sections, const void *image, size_t len, enum measure_layout layout,
                       const struct measure_thin_content *thin, struct measure_event ret[MEASURE_UKI_EVENTS_MAX],
                       size_t *ret_n);

/* The ref in a thin UKI's .tlinux or .tinitrd section s (as measure_uki_events()
 * finds sections in image[0..len) for layout), parsed by thin_ref_parse(). */
int measure_thin_ref(const struct pe_section *s, const void *image, size_t len, enum measure_layout layout,
                     struct thin_ref *ret);
