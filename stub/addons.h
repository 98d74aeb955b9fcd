/* SPDX-License-Identifier: MIT */
/* Addons (systemd-stub 254+): small signed PE files in \loader\addons\ and
 * <uki>.efi.extra.d\ carrying .cmdline (and .ucode, .initrd, .dtb), loaded
 * through the firmware's LoadImage() so that Secure Boot verifies them; and
 * the other command-line extensions that come after the UKI's own: the
 * addons' command lines, then SMBIOS type 11 io.systemd.stub.kernel-cmdline-extra=. */
#pragma once

#include "measure.h"
#include "../efi/devicetree.h"
#include "../efi/initrd.h"
#include "../efi/self.h"

/* The StubFeatures bits this file implements (systemd's numbering):
 * CMDLINE_ADDONS, CMDLINE_SMBIOS, DEVICETREE_ADDONS. */
#define STUB_FEATURE_CMDLINE_ADDONS (UINT64_C(1) << 5)
#define STUB_FEATURE_CMDLINE_SMBIOS (UINT64_C(1) << 6)
#define STUB_FEATURE_DEVICETREE_ADDONS (UINT64_C(1) << 7)
#define STUB_ADDON_FEATURES \
        (STUB_FEATURE_CMDLINE_ADDONS | STUB_FEATURE_CMDLINE_SMBIOS | STUB_FEATURE_DEVICETREE_ADDONS)

/* At most this many device trees, and this many microcode + initrd blobs
 * from addons (the initrd list has room for INITRD_PIECES_MAX parts in all);
 * further ones are skipped with a console line. */
#define STUB_ADDON_BLOBS_MAX 8

/* A blob copied out of an addon (the addon image is unloaded at once). */
struct stub_addon_blob {
        CHAR16 *name;   /* the addon's file name, for the event log */
        void *data;
        size_t size;
};

struct stub_addons {
        size_t n_addons;                /* addons used */
        CHAR16 *cmdline;                /* their .cmdline joined (NULL: none) */
        size_t cmdline_units;
        /* The UKI's own .cmdline (UTF-8, in the image; NULL: none), which
         * binds what is appended to it (cmdline_bind()). */
        const char *uki_cmdline;
        size_t uki_cmdline_len;
        struct stub_addon_blob dtbs[STUB_ADDON_BLOBS_MAX];
        size_t n_dtbs;
        struct stub_addon_blob ucodes[STUB_ADDON_BLOBS_MAX];
        size_t n_ucodes;
        struct stub_addon_blob initrds[STUB_ADDON_BLOBS_MAX];
        size_t n_initrds;
};

/* Loads the global, then the per-UKI addons; never fails the boot (an addon
 * that cannot be used is skipped with one console line). */
void stub_addons_load(EFI_HANDLE image, const struct self_image *self, struct stub_addons *ret);

/* Appends the addons' command lines, then the SMBIOS extra (Secure Boot off
 * only), to *cmdline (replaced; may be NULL before), each measured into PCR 12. */
EFI_STATUS stub_cmdline_append_extras(const struct stub_addons *addons, CHAR16 **cmdline,
                                      struct stub_measurements *m);

/* The addons' device trees on top of the one installed (measured). */
void stub_addons_install_devicetrees(const struct stub_addons *addons, struct devicetree_state *dt,
                                     struct stub_measurements *m);

/* The addons' microcode archives, which go before the UKI's own .ucode, and
 * their initrds, which go last; measured as they are added. */
EFI_STATUS stub_addons_add_ucode(const struct stub_addons *addons, struct initrd_list *initrd,
                                 struct stub_measurements *m);
EFI_STATUS stub_addons_add_initrds(const struct stub_addons *addons, struct initrd_list *initrd,
                                   struct stub_measurements *m);

void stub_addons_free(struct stub_addons *addons);
