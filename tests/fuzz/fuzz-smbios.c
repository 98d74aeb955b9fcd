/* SPDX-License-Identifier: MIT */
/* SMBIOS structure tables and entry points from arbitrary bytes (what a
 * firmware or a hypervisor publishes): the walk must stop, stay inside the
 * bytes, and any value it returns must be one whole OEM string of the
 * first type 11 structure, starting with the prefix asked for. */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/smbios.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char prefix[] = "io.systemd.stub.kernel-cmdline-extra=";
        const char *v;
        size_t n, off, end;
        uint64_t addr;
        int r;

        r = smbios_find_structure(data, size, SMBIOS_TYPE_OEM_STRINGS, 5, &off, &end);
        check(r == KEEL_OK || r == KEEL_E_SMBIOS_MALFORMED || r == KEEL_E_SMBIOS_NOT_FOUND);
        if (r == KEEL_OK)
                check(data[off] == SMBIOS_TYPE_OEM_STRINGS && off + data[off + 1] <= end && end <= size &&
                      end >= 2 && data[end - 1] == 0 && data[end - 2] == 0);
        r = smbios_find_oem_string(data, size, prefix, &v, &n);
        check(r == KEEL_OK || r == KEEL_E_SMBIOS_MALFORMED || r == KEEL_E_SMBIOS_NOT_FOUND);
        if (r == KEEL_OK) {
                const uint8_t *s = (const uint8_t *) v - (sizeof(prefix) - 1);
                check(s >= data && (const uint8_t *) v + n < data + end);
                check(memcmp(s, prefix, sizeof(prefix) - 1) == 0);
                check(memchr(v, 0, n) == NULL && v[n] == 0);
        }
        r = smbios_entry_point(data, size, size > 0 && (data[0] & 1), &addr, &n);
        check(r == KEEL_OK || r == KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        check(r != KEEL_OK || (addr != 0 && n > 0 && n <= SMBIOS_TABLE_MAX));
        return 0;
}
