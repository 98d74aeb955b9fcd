/* SPDX-License-Identifier: MIT */
#include "sidecar.h"

/* Directories, suffixes, targets, modes, PCRs and descriptions are
 * systemd-stub's (src/boot/stub.c and cpio.c; the first three as in
 * systemd-stub 252, which knows no confexts and no \loader\extensions: it
 * packs every *.raw, *.confext.raw included, as a sysext). */
const struct sidecar_kind sidecar_kinds[SIDECAR_KINDS] = {
        { NULL, ".cred", NULL, ".extra/credentials", 0500, 0400, 12, "Credentials initrd",
          SIDECAR_FLAG_PARAMETERS, SIDECAR_CREDENTIAL_SIZE_MAX, SIDECAR_CREDENTIALS_MAX },
        { "\\loader\\credentials", ".cred", NULL, ".extra/global_credentials", 0500, 0400, 12,
          "Global credentials initrd", SIDECAR_FLAG_PARAMETERS, SIDECAR_CREDENTIAL_SIZE_MAX,
          SIDECAR_CREDENTIALS_MAX },
        { NULL, ".raw", ".confext.raw", ".extra/sysext", 0555, 0444, 13, "System extension initrd",
          SIDECAR_FLAG_SYSEXTS, SIDECAR_EXTENSION_SIZE_MAX, SIDECAR_EXTENSIONS_MAX },
        { "\\loader\\extensions", ".raw", ".confext.raw", ".extra/global_sysext", 0555, 0444, 13,
          "Global system extension initrd", SIDECAR_FLAG_SYSEXTS, SIDECAR_EXTENSION_SIZE_MAX,
          SIDECAR_EXTENSIONS_MAX },
        { NULL, ".confext.raw", NULL, ".extra/confext", 0555, 0444, 12, "Configuration extension initrd",
          SIDECAR_FLAG_CONFEXTS, SIDECAR_EXTENSION_SIZE_MAX, SIDECAR_EXTENSIONS_MAX },
        { "\\loader\\extensions", ".confext.raw", NULL, ".extra/global_confext", 0555, 0444, 12,
          "Global configuration extension initrd", SIDECAR_FLAG_CONFEXTS, SIDECAR_EXTENSION_SIZE_MAX,
          SIDECAR_EXTENSIONS_MAX },
};

bool sidecar_size_fits(const struct sidecar_kind *k, uint64_t size, uint64_t used) {
        if (size > k->max_file_size || size > UINT32_MAX)  /* newc sizes are 32 bits */
                return false;
        return used <= SIDECAR_TOTAL_SIZE_MAX && size <= SIDECAR_TOTAL_SIZE_MAX - used;
}
