/* SPDX-License-Identifier: MIT */
#include "partition.h"
#include "file.h"
#include "../common/blockio.h"
#include "../common/error.h"
#include "../common/gpt.h"

#define DP_TYPE_MEDIA 0x04
#define DP_SUBTYPE_HARDDRIVE 0x01
#define DP_TYPE_END 0x7f
#define HD_SIGNATURE_OFFSET 24
#define HARDDRIVE_NODE_SIZE 42

static const EFI_GUID block_io_guid = EFI_BLOCK_IO_PROTOCOL_GUID;
static const EFI_GUID simple_file_system_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;

/* Bytes of a device path before its hard-drive node: the path of the whole
 * disk. 0 when there is no hard-drive node. */
static size_t disk_prefix_length(const EFI_DEVICE_PATH *dp, const uint8_t **ret_hd_node) {
        size_t offset = 0;

        for (const uint8_t *p = (const uint8_t *) dp;; ) {
                uint16_t len = read_le16(p + 2);
                if (p[0] == DP_TYPE_END || len < 4)
                        return 0;
                if (p[0] == DP_TYPE_MEDIA && p[1] == DP_SUBTYPE_HARDDRIVE && len >= HARDDRIVE_NODE_SIZE) {
                        if (ret_hd_node)
                                *ret_hd_node = p;
                        return offset;
                }
                offset += len;
                p += len;
        }
}

static EFI_DEVICE_PATH *handle_device_path(EFI_HANDLE h) {
        EFI_DEVICE_PATH *dp = NULL;
        if (BS->HandleProtocol(h, (EFI_GUID *) &device_path_guid, (void **) &dp) != EFI_SUCCESS)
                return NULL;
        return dp;
}

/* The disk's block I/O: the handle whose device path is the volume's without
 * the partition node. */
static EFI_BLOCK_IO *disk_block_io(const EFI_DEVICE_PATH *volume_dp, size_t prefix) {
        EFI_DEVICE_PATH *disk_dp, *remaining;
        EFI_HANDLE disk;
        EFI_BLOCK_IO *bio = NULL;
        uint8_t *p = efi_alloc(prefix + 4);

        if (!p)
                return NULL;
        memcpy(p, volume_dp, prefix);
        p[prefix] = DP_TYPE_END;
        p[prefix + 1] = 0xff;
        write_le16(p + prefix + 2, 4);
        disk_dp = remaining = (EFI_DEVICE_PATH *) p;
        if (BS->LocateDevicePath((EFI_GUID *) &block_io_guid, &remaining, &disk) != EFI_SUCCESS ||
            remaining->Type != DP_TYPE_END ||
            BS->HandleProtocol(disk, (EFI_GUID *) &block_io_guid, (void **) &bio) != EFI_SUCCESS)
                bio = NULL;
        efi_free(disk_dp);
        return bio;
}

/* Reads size bytes from lba on, as whole blocks (the caller frees *ret). */
static EFI_STATUS read_blocks(EFI_BLOCK_IO *bio, uint64_t lba, uint64_t size, void **ret) {
        size_t rounded;
        void *buf;
        EFI_STATUS err;
        int r = block_read_size(size, bio->Media->BlockSize, &rounded);

        if (r != KEEL_OK) {
                efi_print("keel: cannot read the disk's GPT: %s\n", keel_strerror(r));
                return EFI_BAD_BUFFER_SIZE;
        }
        buf = efi_alloc(rounded ? rounded : 1);
        if (!buf)
                return EFI_OUT_OF_RESOURCES;
        err = bio->ReadBlocks(bio, bio->Media->MediaId, lba, rounded, buf);
        if (err != EFI_SUCCESS) {
                efi_free(buf);
                return err;
        }
        *ret = buf;
        return EFI_SUCCESS;
}

/* The unique GUID of the first partition of a type, from the disk's primary GPT. */
static EFI_STATUS find_partition_guid(EFI_BLOCK_IO *bio, const uint8_t type[16], uint8_t ret_guid[16]) {
        struct gpt_header h;
        struct gpt_partition part;
        void *header = NULL, *entries = NULL;
        EFI_STATUS err;
        int r;

        err = read_blocks(bio, 1, bio->Media->BlockSize, &header);
        if (err != EFI_SUCCESS)
                return err;
        r = gpt_parse_header(header, bio->Media->BlockSize, 1, &h);
        efi_free(header);
        if (r != KEEL_OK) {
                efi_print("keel: cannot read the disk's GPT: %s\n", keel_strerror(r));
                return EFI_VOLUME_CORRUPTED;
        }
        err = read_blocks(bio, h.entries_lba, gpt_entries_size(&h), &entries);
        if (err != EFI_SUCCESS)
                return err;
        r = gpt_find_partition(&h, entries, (size_t) gpt_entries_size(&h), type, &part);
        efi_free(entries);
        if (r == KEEL_E_GPT_NOT_FOUND)
                return EFI_NOT_FOUND;
        if (r != KEEL_OK) {
                efi_print("keel: cannot read the disk's GPT: %s\n", keel_strerror(r));
                return EFI_VOLUME_CORRUPTED;
        }
        memcpy(ret_guid, part.unique_guid, 16);
        return EFI_SUCCESS;
}

/* The file system whose partition has this GUID on the same disk. */
static EFI_HANDLE find_volume(const EFI_DEVICE_PATH *volume_dp, size_t prefix, const uint8_t guid[16]) {
        EFI_HANDLE *handles = NULL, found = NULL;
        UINTN n = 0;

        if (BS->LocateHandleBuffer(ByProtocol, (EFI_GUID *) &simple_file_system_guid, NULL, &n, &handles) != EFI_SUCCESS)
                return NULL;
        for (UINTN i = 0; i < n && !found; i++) {
                EFI_DEVICE_PATH *dp = handle_device_path(handles[i]);
                const uint8_t *hd = NULL;
                if (!dp || disk_prefix_length(dp, &hd) != prefix || memcmp(dp, volume_dp, prefix) != 0)
                        continue;
                if (memcmp(hd + HD_SIGNATURE_OFFSET, guid, 16) == 0)
                        found = handles[i];
        }
        efi_free(handles);
        return found;
}

EFI_STATUS partition_open_by_type(EFI_HANDLE device, const uint8_t type[16], const char *name,
                                  struct partition *ret) {
        EFI_DEVICE_PATH *dp = handle_device_path(device);
        EFI_BLOCK_IO *bio;
        uint8_t guid[16];
        size_t prefix;
        EFI_STATUS err;

        if (!dp || (prefix = disk_prefix_length(dp, NULL)) == 0)
                return EFI_NOT_FOUND;
        bio = disk_block_io(dp, prefix);
        if (!bio)
                return EFI_NOT_FOUND;
        err = find_partition_guid(bio, type, guid);
        if (err != EFI_SUCCESS)
                return err;
        ret->device = find_volume(dp, prefix, guid);
        if (!ret->device) {
                efi_print("keel: the %s partition has no file system the firmware can read\n", name);
                return EFI_NOT_FOUND;
        }
        return file_open_volume(ret->device, &ret->root);
}
