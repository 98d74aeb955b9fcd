/* SPDX-License-Identifier: MIT */
#include "esrt.h"

size_t esrt_table_size(const void *header) {
        uint32_t count = read_le32(header), max = read_le32((const uint8_t *) header + 4);
        uint64_t version = read_le64((const uint8_t *) header + 8);

        if (version != ESRT_RESOURCE_VERSION || count > max || count > ESRT_ENTRIES_MAX)
                return 0;
        return ESRT_HEADER_SIZE + (size_t) count * ESRT_ENTRY_SIZE;
}

bool esrt_system_firmware_update_failed(const void *table, size_t size) {
        const uint8_t *t = table;
        uint32_t count;

        if (size < ESRT_HEADER_SIZE || esrt_table_size(table) == 0 || esrt_table_size(table) > size)
                return false;
        count = read_le32(t);
        for (uint32_t i = 0; i < count; i++) {
                const uint8_t *e = t + ESRT_HEADER_SIZE + (size_t) i * ESRT_ENTRY_SIZE;
                if (read_le32(e + 16) == ESRT_FW_TYPE_SYSTEM_FIRMWARE)
                        return read_le32(e + 36) != ESRT_LAST_ATTEMPT_SUCCESS;
        }
        return false;
}
