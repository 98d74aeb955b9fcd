/* SPDX-License-Identifier: MIT */
/* SMBIOS (DMTF DSP0134) as systemd-stub and systemd-boot read it: the entry
 * point the firmware publishes (SMBIOS 3 "_SM3_", else 2.1 "_SM_"), and
 * the OEM strings of the first type 11 structure, where a hypervisor puts
 * io.systemd.stub.kernel-cmdline-extra= and friends (QEMU's -smbios
 * type=11,value=...). Everything here comes from the firmware or the host
 * that runs the VM and is not authenticated: every length and offset is
 * checked against the bytes given. */
#pragma once

#include "util.h"

#define SMBIOS_TYPE_SYSTEM 1
#define SMBIOS_TYPE_BASEBOARD 2
#define SMBIOS_TYPE_OEM_STRINGS 11
#define SMBIOS_TYPE_END 127
/* Type 1's "Wake-up Type" byte (SMBIOS 2.1+): how the machine was powered
 * on this time, so it is zeroed before the structure is measured. */
#define SMBIOS_TYPE1_WAKE_UP_TYPE 0x18

/* The events systemd 261+ (src/boot/measure-smbios.c) extends PCR 1 with,
 * one per structure, EV_EVENT_TAG with these tags (src/fundamental/tpm2-pcr.h)
 * and the description "smbios:typeN" as UTF-16. */
#define SMBIOS_PCR 1
#define SMBIOS_TYPE1_EVENT_TAG_ID UINT32_C(0xd5cb7cbc)
#define SMBIOS_TYPE2_EVENT_TAG_ID UINT32_C(0xe0d47bc8)
#define SMBIOS_TYPE11_EVENT_TAG_ID UINT32_C(0xc0b3bd23)
/* keel reads at most this much of the structure table (QEMU writes a few
 * KiB; the 2.1 entry point cannot name more than 64 KiB). */
#define SMBIOS_TABLE_MAX (1024u * 1024)

/* The structure table an entry point names. ep holds ep_len bytes (the
 * configuration table's start; at least its entry-point length). smbios3:
 * the "_SM3_" layout (64-bit address, maximum size), else "_SM_" (32-bit
 * address, exact length). KEEL_OK, or KEEL_E_SMBIOS_BAD_ENTRY_POINT (wrong
 * anchor, an entry point shorter than its fields, a zero or over
 * SMBIOS_TABLE_MAX length: such a length is clamped, not refused, for the
 * 3.0 maximum size, which is only an upper bound). */
int smbios_entry_point(const void *ep, size_t ep_len, bool smbios3, uint64_t *ret_table_address,
                       size_t *ret_table_len);

/* One structure of a table: its type and its bytes, the formatted area
 * (length bytes) and the string set with its double NUL: [offset, end). */
struct smbios_structure {
        uint8_t type;
        uint8_t length;
        size_t offset;
        size_t end;
};

/* The structure at *io_offset of table[0..len), and *io_offset moved past
 * it. KEEL_E_SMBIOS_NOT_FOUND at the end of the table (the type 127
 * structure, or fewer bytes left than a header), KEEL_E_SMBIOS_MALFORMED
 * when the structure runs past the table (a length under 4, a string set
 * without its double NUL). Start with *io_offset 0. */
int smbios_next_structure(const void *table, size_t len, size_t *io_offset, struct smbios_structure *ret);

/* What systemd 261+ measures into PCR 1 of one structure: every type 1
 * (with its wake-up type byte zeroed, when the formatted area has it), type
 * 2 and type 11 structure, whole. */
struct smbios_measurement {
        size_t offset, size;   /* the structure's bytes in the table */
        bool clear_wake_up_type; /* measure a copy with byte SMBIOS_TYPE1_WAKE_UP_TYPE zeroed */
        uint32_t tag_id;
        const char *description; /* "smbios:type1", "smbios:type2", "smbios:type11" */
};

/* The next structure from *io_offset on that is measured, in table order.
 * KEEL_OK, KEEL_E_SMBIOS_NOT_FOUND at the end, KEEL_E_SMBIOS_MALFORMED as
 * smbios_next_structure() (the measurements before it stand, as with
 * systemd, which measures while it walks). */
int smbios_next_measurement(const void *table, size_t len, size_t *io_offset, struct smbios_measurement *ret);

/* Walks the structure table table[0..len) (each structure: type, length,
 * handle, formatted area, then strings ending in a double NUL) to the first
 * structure of type type whose formatted area has at least min_length
 * bytes. *ret_offset is its offset, *ret_end the end of its string set.
 * KEEL_E_SMBIOS_NOT_FOUND when the table ends (type 127, or its bytes)
 * first, KEEL_E_SMBIOS_MALFORMED when a structure runs past the table (a
 * length under 4, a string set without its double NUL). */
int smbios_find_structure(const void *table, size_t len, uint8_t type, uint8_t min_length, size_t *ret_offset,
                          size_t *ret_end);

/* The value of the first OEM string (in the first type 11 structure) that
 * starts with prefix, e.g. "io.systemd.stub.kernel-cmdline-extra=": a
 * pointer into table and its length (without the NUL). Errors as
 * smbios_find_structure(); KEEL_E_SMBIOS_NOT_FOUND also when no string
 * matches. */
int smbios_find_oem_string(const void *table, size_t len, const char *prefix, const char **ret_value,
                           size_t *ret_len);
