/* SPDX-License-Identifier: MIT */
#include "sidecar.h"
#include "bls.h"
#include "error.h"

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

/* Targets, modes, PCRs and descriptions are systemd-boot 262's (the
 * descriptions are in its binary; the rest is what the OS found under
 * OVMF with systemd-boot 262 and systemd-stub 262). */
const struct sidecar_kind entry_extra_kinds[ENTRY_EXTRA_KINDS] = {
        { NULL, ".cred", NULL, ".extra/credentials", 0500, 0400, 12, "Entry credentials initrd",
          SIDECAR_FLAG_PARAMETERS, SIDECAR_CREDENTIAL_SIZE_MAX, BLS_MAX_EXTRAS },
        { NULL, ".sysext.raw", NULL, ".extra/sysext", 0555, 0444, 13, "Entry system extension initrd",
          SIDECAR_FLAG_SYSEXTS, SIDECAR_EXTENSION_SIZE_MAX, BLS_MAX_EXTRAS },
        { NULL, ".confext.raw", NULL, ".extra/confext", 0555, 0444, 12, "Entry configuration extension initrd",
          SIDECAR_FLAG_CONFEXTS, SIDECAR_EXTENSION_SIZE_MAX, BLS_MAX_EXTRAS },
};

bool entry_extra_name_is_valid(struct slice name, const char *suffix) {
        if (name.len <= strlen(suffix) || name.len > ENTRY_EXTRA_NAME_MAX)
                return false;
        for (size_t i = 0; i < name.len; i++)
                if ((uint8_t) name.ptr[i] < 0x20 || (uint8_t) name.ptr[i] > 0x7e || name.ptr[i] == '/')
                        return false;
        return true;
}

int entry_extra_classify(struct slice path, size_t *ret_kind, struct slice *ret_name) {
        struct slice name = path;

        for (size_t i = path.len; i > 0; i--)
                if (path.ptr[i - 1] == '/' || path.ptr[i - 1] == '\\') {
                        name = slice_from(path.ptr + i, path.len - i);
                        break;
                }
        for (size_t k = 0; k < ENTRY_EXTRA_KINDS; k++) {
                if (!slice_has_suffix_nocase(name, entry_extra_kinds[k].suffix))
                        continue;
                if (!entry_extra_name_is_valid(name, entry_extra_kinds[k].suffix))
                        return KEEL_E_EXTRA_BAD_NAME;
                *ret_kind = k;
                *ret_name = name;
                return KEEL_OK;
        }
        return KEEL_E_EXTRA_UNKNOWN_KIND;
}
