/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>

#include "host-tools/entries/efivars.h"
#include "host-tools/core/fileio.h"
#include "common/utf.h"


const char *efivarfs_dir(void) {
        const char *d = getenv("KEEL_EFIVARFS");
        return d && *d ? d : "/sys/firmware/efi/efivars";
}

char *efivar_read_string(const char *name, const char *guid) {
        char path[512];
        uint8_t *data = NULL;
        size_t len = 0, units;
        uint16_t *wide;
        char *out = NULL;

        snprintf(path, sizeof(path), "%s/%s-%s", efivarfs_dir(), name, guid);
        if (access(path, R_OK) != 0)
                return NULL;
        if (read_file(path, EFIVAR_MAX, &data, &len) < 0)
                return NULL;
        if (len < EFIVAR_ATTRIBUTES_SIZE) {
                free(data);
                return NULL;
        }
        units = (len - EFIVAR_ATTRIBUTES_SIZE) / 2;
        wide = malloc((units + 1) * sizeof(uint16_t));
        out = malloc(units * 3 + 1);
        if (wide && out) {
                memcpy(wide, data + EFIVAR_ATTRIBUTES_SIZE, units * 2);
                wide[units] = 0;
                utf16_to_utf8(wide, units, out);
        } else {
                free(out);
                out = NULL;
        }
        free(wide);
        free(data);
        return out;
}

bool efivar_setup_mode(void) {
        char path[512];
        uint8_t *data = NULL;
        size_t len = 0;
        bool setup;

        snprintf(path, sizeof(path), "%s/SetupMode-%s", efivarfs_dir(), EFI_GLOBAL_GUID_STR);
        if (access(path, R_OK) != 0 || read_file(path, EFIVAR_MAX, &data, &len) < 0)
                return false;
        setup = len == EFIVAR_ATTRIBUTES_SIZE + 1 && data[EFIVAR_ATTRIBUTES_SIZE] == 1;
        free(data);
        return setup;
}

bool esrt_system_firmware_update_failed_sysfs(void) {
        const char *d = getenv("KEEL_ESRT");
        char dir[512];

        if (!d || !*d)
                d = "/sys/firmware/efi/esrt";
        /* entry0, entry1, ...: the table's order. */
        for (unsigned i = 0; i < 4096; i++) {
                uint64_t type, status;
                snprintf(dir, sizeof(dir), "%s/entries/entry%u", d, i);
                if (access(dir, F_OK) != 0)
                        return false;
                if (read_sysfs_u64(dir, "fw_type", &type) && type == 1)
                        return read_sysfs_u64(dir, "last_attempt_status", &status) && status != 0;
        }
        return false;
}
