/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>

#include "host-tools/core/arch.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "common/error.h"
#include "common/pe.h"

/* Type UUIDs from the Discoverable Partitions Specification (the same values
 * as systemd 252's `systemd-id128 show`, which tests/cli/test-arch.sh
 * compares them with). */
const struct keel_arch keel_arches[] = {
        {
                .name = "x64",
                .pe_machine = PE_MACHINE_X86_64,
                .uname_machine = "x86_64",
                .nix_system = "x86_64-linux",
                .keel_binary = "keelx64.efi",
                .removable_path = "EFI/BOOT/BOOTX64.EFI",
                .dps_name = "x86-64",
                .root_type = "4f68bce3-e8cd-4db1-96e7-fbcaf984b709",
                .root_verity_type = "2c7357ed-ebd2-46d9-aec1-23d437ec2bf5",
                .usr_type = "8484680c-9521-48c6-9c11-b0720656f69e",
                .usr_verity_type = "77ff5f63-e7b6-4633-acf4-1565b864c0e6",
        },
        {
                .name = "aa64",
                .pe_machine = PE_MACHINE_AARCH64,
                .uname_machine = "aarch64",
                .nix_system = "aarch64-linux",
                .keel_binary = "keelaa64.efi",
                .removable_path = "EFI/BOOT/BOOTAA64.EFI",
                .dps_name = "arm64",
                .root_type = "b921b045-1df0-41c3-af44-4c6f280d3fae",
                .root_verity_type = "df3300ce-d69f-4c92-978c-9bfb0f38d820",
                .usr_type = "b0e01050-ee5f-4390-949a-9101b17104e9",
                .usr_verity_type = "6e11a4e7-fbca-4ded-b9e9-e1a512bb664e",
        },
};
const unsigned keel_n_arches = sizeof(keel_arches) / sizeof(keel_arches[0]);

const struct keel_arch *keel_arch_from_name(const char *name) {
        for (unsigned i = 0; name && i < keel_n_arches; i++)
                if (strcasecmp(keel_arches[i].name, name) == 0)
                        return &keel_arches[i];
        return NULL;
}

const struct keel_arch *keel_arch_from_machine(uint16_t machine) {
        for (unsigned i = 0; i < keel_n_arches; i++)
                if (keel_arches[i].pe_machine == machine)
                        return &keel_arches[i];
        return NULL;
}

const struct keel_arch *keel_arch_from_nix_system(const char *system) {
        for (unsigned i = 0; system && i < keel_n_arches; i++)
                if (strcmp(keel_arches[i].nix_system, system) == 0)
                        return &keel_arches[i];
        return NULL;
}

const struct keel_arch *keel_arch_host(void) {
        struct utsname u;

        if (uname(&u) < 0)
                return NULL;
        for (unsigned i = 0; i < keel_n_arches; i++)
                if (strcmp(keel_arches[i].uname_machine, u.machine) == 0)
                        return &keel_arches[i];
        return NULL;
}

const char *keel_arch_names(void) {
        static char names[64];

        if (!names[0])
                for (unsigned i = 0; i < keel_n_arches; i++)
                        snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? "|" : "",
                                 keel_arches[i].name);
        return names;
}

int keel_arch_of_pe_file(const char *role, const char *path, const struct keel_arch **ret) {
        struct mapped_file m;
        struct pe_image pe;
        const char *sep = role ? " " : "";
        int r;

        *ret = NULL;
        if (map_file(path, &m) < 0)
                return -1;
        if (pe_file_check_size(role, path, m.size) < 0) {
                unmap_file(&m);
                return -1;
        }
        r = pe_parse_headers(m.data, m.size, &pe);
        unmap_file(&m);
        if (r != KEEL_OK)
                return log_error("%s%s%s: %s", role ? role : "", sep, path, keel_strerror(r));
        *ret = keel_arch_from_machine(pe.machine);
        if (!*ret)
                return log_error("%s%s%s: built for machine 0x%04x; keel knows %s", role ? role : "", sep, path,
                                 pe.machine, keel_arch_names());
        return 0;
}
