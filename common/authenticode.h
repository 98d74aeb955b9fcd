/* SPDX-License-Identifier: MIT */
/* The parts of an Authenticode signature that are plain byte layout: which
 * ranges of a PE file the image hash covers (Microsoft's "Windows
 * Authenticode Portable Executable Signature Format", section "Calculating
 * the PE Image Hash"), and the WIN_CERTIFICATE entries of the certificate
 * table. No cryptography here; the host tools and the fuzzers feed these
 * ranges to SHA-256 and hand the entries to a PKCS#7 parser. */
#pragma once

#include "pe.h"

/* Three header ranges, one per section with raw data, the data after the
 * sections. */
#define AUTHENTICODE_MAX_REGIONS (3 + PE_MAX_SECTIONS + 1)

struct authenticode_region {
        uint64_t offset;
        uint64_t size;
};

struct authenticode_layout {
        uint32_t checksum_offset;         /* file offset of the optional header's CheckSum */
        uint32_t cert_dir_offset;         /* file offset of the certificate-table directory entry */
        uint64_t image_end;               /* where the image ends: the certificate table, or EOF */
        uint32_t cert_table_offset;       /* 0 and 0 for an unsigned image */
        uint32_t cert_table_size;
        /* The hashed ranges in hash order: headers without CheckSum and the
         * directory entry, sections by PointerToRawData, then trailing data. */
        struct authenticode_region regions[AUTHENTICODE_MAX_REGIONS];
        size_t n_regions;
        /* The regions ascend through the file without overlapping, so one
         * front-to-back pass can hash them. Only sections with gaps between
         * them break this: the specification then hashes "trailing" data
         * from SUM_OF_BYTES_HASHED on, which re-reads section bytes. */
        bool in_file_order;
};

/* Works out the layout of a PE file of file_size bytes whose first head_len
 * bytes (at least all its headers) are in head. A certificate table must lie
 * inside the file, after all section data, and end the file: the image hash
 * is only well defined then. */
int authenticode_layout(const void *head, size_t head_len, uint64_t file_size, struct authenticode_layout *ret);

#define WIN_CERT_REVISION_1_0 0x0100
#define WIN_CERT_REVISION_2_0 0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define WIN_CERT_TYPE_EFI_GUID 0x0ef1
#define WIN_CERT_HEADER_SIZE 8
#define WIN_CERT_ALIGNMENT 8
#define WIN_CERT_MAX_ENTRIES 16

struct win_certificate {
        uint32_t offset;        /* of the entry, inside the table */
        uint32_t length;        /* dwLength: header plus data, without padding */
        uint16_t revision;
        uint16_t type;
        const uint8_t *data;    /* bCertificate */
        size_t data_size;
};

/* Splits a certificate table into its entries. Each entry starts 8-byte
 * aligned after the previous one (the padding of the last entry may be left
 * out); an entry's dwLength must cover its header and stay inside the table. */
int win_certificate_parse(const void *table, size_t table_size, struct win_certificate *entries, size_t max_entries,
                          size_t *ret_n);
