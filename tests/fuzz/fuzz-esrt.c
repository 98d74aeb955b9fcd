/* SPDX-License-Identifier: MIT */
/* ESRT tables from arbitrary bytes (firmware memory, which a driver from
 * the ESP may have written): the size the header claims is used only when
 * the bytes are there, and the verdict is the first system firmware
 * entry's, computed here independently. */
#include <stdlib.h>
#include <string.h>

#include "common/esrt.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        uint8_t *copy = malloc(size ? size : 1);
        size_t claimed;
        bool failed, want = false;

        check(copy != NULL);
        memcpy(copy, data, size);
        claimed = size >= ESRT_HEADER_SIZE ? esrt_table_size(copy) : 0;
        failed = esrt_system_firmware_update_failed(copy, size);
        if (claimed != 0 && claimed <= size) {
                uint32_t count = read_le32(copy);
                check(claimed == ESRT_HEADER_SIZE + (size_t) count * ESRT_ENTRY_SIZE && count <= ESRT_ENTRIES_MAX);
                for (uint32_t i = 0; i < count; i++) {
                        const uint8_t *e = copy + ESRT_HEADER_SIZE + (size_t) i * ESRT_ENTRY_SIZE;
                        if (read_le32(e + 16) == ESRT_FW_TYPE_SYSTEM_FIRMWARE) {
                                want = read_le32(e + 36) != ESRT_LAST_ATTEMPT_SUCCESS;
                                break;
                        }
                }
        }
        check(failed == want);
        free(copy);
        return 0;
}
