/* SPDX-License-Identifier: MIT */
#include "efi.h"
#include "../common/utf.h"

#define DP_TYPE_MEDIA 0x04
#define DP_SUBTYPE_HARDDRIVE 0x01
#define DP_SUBTYPE_FILEPATH 0x04
#define DP_TYPE_END 0x7f
#define HD_SIGNATURE_GUID 0x02
#define HARDDRIVE_NODE_SIZE 42

static uint16_t node_length(const EFI_DEVICE_PATH *dp) {
        return read_le16(dp->Length);
}

/* Walks to the next node; NULL at the end or at a malformed node (a length
 * below the node header would otherwise loop forever). */
static const EFI_DEVICE_PATH *next_node(const EFI_DEVICE_PATH *dp) {
        uint16_t len = node_length(dp);
        if (dp->Type == DP_TYPE_END || len < sizeof(EFI_DEVICE_PATH))
                return NULL;
        dp = (const EFI_DEVICE_PATH *) ((const uint8_t *) dp + len);
        return dp->Type == DP_TYPE_END ? NULL : dp;
}

static void format_guid(const uint8_t g[16], char out[37]) {
        /* GUIDs are stored mixed-endian: the first three fields little-endian. */
        static const int order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
        static const char hex[] = "0123456789ABCDEF"; /* upper case, as systemd-boot writes it */
        size_t o = 0;

        for (size_t i = 0; i < 16; i++) {
                if (i == 4 || i == 6 || i == 8 || i == 10)
                        out[o++] = '-';
                out[o++] = hex[g[order[i]] >> 4];
                out[o++] = hex[g[order[i]] & 15];
        }
        out[o] = '\0';
}

EFI_STATUS devpath_partition_uuid(EFI_HANDLE device, char ret_uuid[37]) {
        EFI_DEVICE_PATH *dp = NULL;

        if (!device || BS->HandleProtocol(device, (EFI_GUID *) &device_path_guid, (void **) &dp) != EFI_SUCCESS || !dp)
                return EFI_NOT_FOUND;

        for (const EFI_DEVICE_PATH *n = dp->Type == DP_TYPE_END ? NULL : dp; n; n = next_node(n)) {
                const uint8_t *raw = (const uint8_t *) n;
                if (n->Type != DP_TYPE_MEDIA || n->SubType != DP_SUBTYPE_HARDDRIVE || node_length(n) < HARDDRIVE_NODE_SIZE)
                        continue;
                /* HARDDRIVE_DEVICE_PATH: signature at offset 24, format at 40, type at 41. */
                if (raw[41] != HD_SIGNATURE_GUID)
                        continue;
                format_guid(raw + 24, ret_uuid);
                return EFI_SUCCESS;
        }
        return EFI_NOT_FOUND;
}

CHAR16 *devpath_file_path_text(const EFI_DEVICE_PATH *dp) {
        size_t units = 0, o = 0;
        CHAR16 *text;

        if (!dp || dp->Type == DP_TYPE_END)
                return NULL;
        for (const EFI_DEVICE_PATH *n = dp; n; n = next_node(n))
                if (n->Type == DP_TYPE_MEDIA && n->SubType == DP_SUBTYPE_FILEPATH && node_length(n) > 4)
                        units += (node_length(n) - 4) / sizeof(CHAR16) + 1;
        if (units == 0)
                return NULL;

        /* Always ESP-absolute, as bootctl expects: the path U-Boot gives
         * a file it loaded has no leading backslash (efi\boot\bootaa64.efi). */
        text = efi_alloc((units + 2) * sizeof(CHAR16));
        if (!text)
                return NULL;
        text[o++] = '\\';
        for (const EFI_DEVICE_PATH *n = dp; n; n = next_node(n)) {
                const uint8_t *name = (const uint8_t *) n + 4;
                size_t name_units;

                if (n->Type != DP_TYPE_MEDIA || n->SubType != DP_SUBTYPE_FILEPATH || node_length(n) <= 4)
                        continue;
                name_units = (node_length(n) - 4) / sizeof(CHAR16);
                /* Nodes are joined with one backslash between them. */
                if (text[o - 1] != '\\')
                        text[o++] = '\\';
                for (size_t i = 0; i < name_units && read_le16(name + 2 * i) != 0; i++) {
                        CHAR16 c = read_le16(name + 2 * i);
                        if (c != '\\' || text[o - 1] != '\\')
                                text[o++] = c;
                }
        }
        text[o] = 0;
        return text;
}

EFI_DEVICE_PATH *devpath_for_file(EFI_HANDLE device, const CHAR16 *path) {
        EFI_DEVICE_PATH *device_dp = NULL, *out;
        size_t prefix = 0, name_bytes = (utf16_strnlen(path, 4096) + 1) * sizeof(CHAR16);
        uint8_t *p;

        if (BS->HandleProtocol(device, (EFI_GUID *) &device_path_guid, (void **) &device_dp) != EFI_SUCCESS)
                device_dp = NULL;
        for (const EFI_DEVICE_PATH *n = device_dp && device_dp->Type != DP_TYPE_END ? device_dp : NULL; n;
             n = next_node(n))
                prefix += node_length(n);
        if (4 + name_bytes > UINT16_MAX)
                return NULL;
        out = efi_alloc(prefix + 4 + name_bytes + 4);
        if (!out)
                return NULL;
        p = (uint8_t *) out;
        if (prefix > 0)
                memcpy(p, device_dp, prefix);
        p += prefix;
        p[0] = DP_TYPE_MEDIA;
        p[1] = DP_SUBTYPE_FILEPATH;
        write_le16(p + 2, (uint16_t) (4 + name_bytes));
        memcpy(p + 4, path, name_bytes);
        p += 4 + name_bytes;
        p[0] = DP_TYPE_END;
        p[1] = 0xff;
        write_le16(p + 2, 4);
        return out;
}
