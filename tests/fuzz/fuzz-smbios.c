/* SPDX-License-Identifier: MIT */
/* SMBIOS structure tables and entry points from arbitrary bytes (what a
 * firmware or a hypervisor publishes): the walk must stop, stay inside the
 * bytes, and any value it returns must be one whole OEM string of the
 * first type 11 structure, starting with the prefix asked for; the PCR 1
 * measurements must be whole structures of types 1, 2 and 11, in order,
 * each ending in a double NUL inside the bytes. */
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
        off = 0;
        end = 0;
        for (;;) {
                struct smbios_measurement m;
                size_t before = off;

                r = smbios_next_measurement(data, size, &off, &m);
                check(r == KEEL_OK || r == KEEL_E_SMBIOS_MALFORMED || r == KEEL_E_SMBIOS_NOT_FOUND);
                if (r != KEEL_OK)
                        break;
                check(off > before && m.offset >= end && m.size >= 6 && m.size <= size - m.offset);
                check(m.offset + m.size == off && data[off - 1] == 0 && data[off - 2] == 0);
                check(data[m.offset] == 1 || data[m.offset] == 2 || data[m.offset] == 11);
                check(!m.clear_wake_up_type || (data[m.offset] == 1 && data[m.offset + 1] > 0x18));
                end = off;
        }
        r = smbios_entry_point(data, size, size > 0 && (data[0] & 1), &addr, &n);
        check(r == KEEL_OK || r == KEEL_E_SMBIOS_BAD_ENTRY_POINT);
        check(r != KEEL_OK || (addr != 0 && n > 0 && n <= SMBIOS_TABLE_MAX));
        return 0;
}
