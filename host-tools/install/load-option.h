/* SPDX-License-Identifier: MIT */
/* EFI_LOAD_OPTION (UEFI 2.10 §3.1.3), the value of a Boot#### variable, and
 * BootOrder: the firmware boot entry `keel install` keeps for the loader,
 * as `bootctl install` does for systemd-boot. Freestanding (buf, len) code:
 * existing Boot#### values come from NVRAM any earlier OS, tool or firmware
 * wrote, so they are parsed as untrusted bytes. */
#pragma once

#include "common/util.h"

#define LOAD_OPTION_ACTIVE 0x00000001u

/* Device path node types and subtypes (UEFI 2.10 §10.3). */
#define DEVICE_PATH_MEDIA 0x04
#define DEVICE_PATH_MEDIA_HARD_DRIVE 0x01
#define DEVICE_PATH_MEDIA_FILE_PATH 0x04
#define DEVICE_PATH_END 0x7f
#define DEVICE_PATH_END_ENTIRE 0xff
#define DEVICE_PATH_HARD_DRIVE_SIZE 42
#define HARD_DRIVE_MBR_TYPE_GPT 0x02
#define HARD_DRIVE_SIGNATURE_GUID 0x02

/* Longest description or file path kept, in UTF-16 units with the NUL. */
#define LOAD_OPTION_MAX_STRING 512

enum load_option_error {
        LOAD_OPTION_OK = 0,
        LOAD_OPTION_E_TRUNCATED = -1,        /* shorter than its fixed header */
        LOAD_OPTION_E_DESCRIPTION = -2,      /* description without NUL, or too long */
        LOAD_OPTION_E_PATH_LIST_LENGTH = -3, /* FilePathListLength beyond the value */
        LOAD_OPTION_E_NODE_LENGTH = -4,      /* a node shorter than 4 or beyond the list */
        LOAD_OPTION_E_NO_END = -5,           /* the list has no End node */
        LOAD_OPTION_E_HARD_DRIVE = -6,       /* a hard-drive node of the wrong size */
        LOAD_OPTION_E_FILE_PATH = -7,        /* a file path node of odd size, or too long */
        LOAD_OPTION_E_SPACE = -8,            /* encoding: the output buffer is too small */
        LOAD_OPTION_E_ARGUMENT = -9,         /* encoding: a string that cannot be stored */
};

const char *load_option_error_string(int error);

/* HD(number, start, size, GPT partition GUID): a GPT partition, its start
 * and size in logical blocks of its disk. */
struct load_option_partition {
        uint32_t number;
        uint64_t start, size;
        uint8_t guid[16];       /* as stored in the GPT and the device path */
};

struct load_option {
        uint32_t attributes;
        uint16_t description[LOAD_OPTION_MAX_STRING]; /* NUL-terminated */
        bool has_partition;     /* the first node is a GPT hard-drive node */
        struct load_option_partition partition;
        /* The file path nodes' text joined, NUL-terminated; empty when none. */
        uint16_t path[LOAD_OPTION_MAX_STRING];
};

/* Parses a Boot#### value (without efivarfs' 4 attribute bytes). Any bytes
 * give either a load option or a distinct error, never an access beyond len. */
int load_option_parse(const uint8_t *buf, size_t len, struct load_option *ret);

/* Encodes Attributes, Description, HD(partition)/File(path)/End, as
 * `bootctl install` and `efibootmgr --create` do; description and path are
 * ASCII (path with '\' separators). Returns the length or a negative
 * enum load_option_error. */
int load_option_encode(uint32_t attributes, const char *description, const struct load_option_partition *p,
                       const char *path, uint8_t *buf, size_t size);

/* Whether a parsed option boots path (ASCII, compared ignoring case, as
 * FAT does) from the GPT partition with this GUID. */
bool load_option_matches(const struct load_option *o, const uint8_t guid[16], const char *path);

/* BootOrder with number first, every other entry after it in its order,
 * duplicates of number dropped; an odd trailing byte is dropped. out holds
 * len + 2 bytes. Returns the new length. */
size_t boot_order_put_first(const uint8_t *order, size_t len, uint16_t number, uint8_t *out);

/* "01234567-89ab-cdef-0123-456789abcdef" to the GUID's stored (mixed-endian)
 * bytes; false when not that form. */
bool guid_parse(const char *s, uint8_t ret[16]);
