/* SPDX-License-Identifier: MIT */
/* One error convention for all of common/: functions return 0 (KEEL_OK) or
 * one of these codes; every distinct validation failure has its own code so
 * that a log line says exactly what was wrong with the input. */
#pragma once

#define KEEL_ERRORS(X)                                                                              \
        X(KEEL_OK, "success")                                                                       \
        X(KEEL_E_INVALID_ARGUMENT, "invalid argument")                                              \
        X(KEEL_E_NO_MEMORY, "out of memory")                                                        \
        X(KEEL_E_PE_EMPTY_FILE, "empty file, not a PE image")                                        \
        X(KEEL_E_PE_TRUNCATED_DOS_HEADER, "file too short for a DOS header")                        \
        X(KEEL_E_PE_BAD_DOS_MAGIC, "not a PE image (no MZ signature)")                              \
        X(KEEL_E_PE_BAD_LFANEW, "PE header offset (e_lfanew) points outside the file")              \
        X(KEEL_E_PE_BAD_SIGNATURE, "not a PE image (no PE\\0\\0 signature)")                        \
        X(KEEL_E_PE_TRUNCATED_FILE_HEADER, "PE file header truncated")                             \
        X(KEEL_E_PE_TRUNCATED_OPTIONAL_HEADER, "PE optional header truncated")                     \
        X(KEEL_E_PE_NOT_PE32_PLUS, "PE optional header is not PE32+")                               \
        X(KEEL_E_PE_BAD_OPTIONAL_HEADER_SIZE, "PE optional header size is inconsistent")            \
        X(KEEL_E_PE_BAD_ALIGNMENT, "PE section or file alignment is invalid")                       \
        X(KEEL_E_PE_BAD_HEADERS_SIZE, "PE SizeOfHeaders is inconsistent")                           \
        X(KEEL_E_PE_NO_SECTIONS, "PE image has no sections")                                        \
        X(KEEL_E_PE_TOO_MANY_SECTIONS, "PE image has too many sections")                            \
        X(KEEL_E_PE_SECTION_TABLE_TRUNCATED, "PE section table extends past the end of the headers") \
        X(KEEL_E_PE_SECTION_SIZE_OVERFLOW, "PE section address plus size overflows")                \
        X(KEEL_E_PE_SECTION_OUTSIDE_IMAGE, "PE section lies outside SizeOfImage")                   \
        X(KEEL_E_PE_OUTSIDE_LOADED_IMAGE, "PE headers or a section lie outside the loaded image")    \
        X(KEEL_E_PE_SECTION_OUTSIDE_FILE, "PE section data extends past the end of the file")       \
        X(KEEL_E_PE_SECTION_OVERLAP, "PE sections overlap")                                         \
        X(KEEL_E_PE_SECTION_BELOW_HEADERS, "PE section overlaps the headers")                       \
        X(KEEL_E_PE_SECTION_HIDDEN_DATA, "PE section has file data but VirtualSize 0 (the firmware would load bytes that readers of the file do not see)") \
        X(KEEL_E_PE_SECTIONS_NOT_ASCENDING, "PE sections are not in ascending address order")       \
        X(KEEL_E_PE_WRONG_MACHINE, "PE image is for another architecture")                          \
        X(KEEL_E_PE_DATA_DIRECTORY_MISSING, "PE data directory entry not present")                 \
        X(KEEL_E_PE_CERT_TABLE_OUTSIDE_FILE, "PE certificate table points outside the file")        \
        X(KEEL_E_PE_NO_CERT_DIRECTORY, "PE image has no certificate-table directory entry")         \
        X(KEEL_E_PE_CERT_TABLE_OVERLAPS_IMAGE, "PE certificate table overlaps the headers or section data") \
        X(KEEL_E_PE_CERT_TABLE_NOT_AT_END, "PE certificate table does not end the file")            \
        X(KEEL_E_WIN_CERT_TRUNCATED, "certificate table entry header truncated")                    \
        X(KEEL_E_WIN_CERT_BAD_LENGTH, "certificate table entry length is invalid")                  \
        X(KEEL_E_WIN_CERT_TOO_MANY, "certificate table has too many entries")                       \
        X(KEEL_E_PE_NO_HEADER_ROOM, "no room left for PE section headers")                          \
        X(KEEL_E_PE_IMAGE_TOO_LARGE, "PE image would exceed 4 GiB")                                 \
        X(KEEL_E_UKI_NO_LINUX, "UKI has no .linux section")                                         \
        X(KEEL_E_UKI_HAS_LINUX, "stub already has a .linux section")                                \
        X(KEEL_E_UKI_DUPLICATE_SECTION, "UKI has a section twice")                                 \
        X(KEEL_E_CPIO_BAD_NAME, "cpio entry name is empty, absolute or too long")                  \
        X(KEEL_E_CPIO_TOO_LARGE, "cpio entry data exceeds 4 GiB")                                 \
        X(KEEL_E_CPIO_NO_ROOM, "no room left in the cpio buffer")                                 \
        X(KEEL_E_UKI_CMDLINE_HIDDEN_TEXT, "UKI .cmdline has bytes past its VirtualSize that the firmware does not load") \
        X(KEEL_E_MEASURE_SECTION_OUTSIDE_BUFFER, "a measured UKI section lies outside the image")   \
        X(KEEL_E_BOOTCOUNT_OUT_OF_RANGE, "boot counter in the file name is out of range")          \
        X(KEEL_E_BOOTCOUNT_NO_FREE_NAME, "every name for the next boot counter is taken by another file") \
        X(KEEL_E_BOOTCOUNT_MOVE_MALFORMED, "boot count move record is not three lines as keel writes it") \
        X(KEEL_E_BOOTCOUNT_MOVE_BAD_NAME, "boot count move record names an invalid file")           \
        X(KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY, "boot count move record does not name two counted files of one entry") \
        X(KEEL_E_VALUE_TOO_LONG, "value too long")                                                 \
        X(KEEL_E_GPT_TRUNCATED, "GPT header or entry array truncated")                              \
        X(KEEL_E_GPT_BAD_SIGNATURE, "no GPT header (signature is not \"EFI PART\")")                 \
        X(KEEL_E_GPT_BAD_HEADER_SIZE, "GPT header size is invalid")                                 \
        X(KEEL_E_GPT_BAD_CRC, "GPT checksum mismatch")                                              \
        X(KEEL_E_GPT_BAD_LBA, "GPT header is not at the block it claims")                           \
        X(KEEL_E_GPT_BAD_ENTRY_SIZE, "GPT partition entry size is invalid")                         \
        X(KEEL_E_GPT_BAD_ENTRY_COUNT, "GPT partition entry count is invalid")                       \
        X(KEEL_E_GPT_BAD_ENTRY, "GPT partition entry is invalid")                                   \
        X(KEEL_E_GPT_NOT_FOUND, "no GPT partition of that type")                                    \
        X(KEEL_E_BLOCK_SIZE_ZERO, "block device reports a block size of 0")                          \
        X(KEEL_E_BLOCK_READ_TOO_LARGE, "block read size rounded to whole blocks overflows")           \
        X(KEEL_E_VERITY_TRUNCATED_SUPERBLOCK, "verity superblock truncated (needs 512 bytes)")       \
        X(KEEL_E_VERITY_BAD_SIGNATURE, "no verity superblock (signature is not \"verity\")")         \
        X(KEEL_E_VERITY_BAD_VERSION, "unsupported verity superblock version (only 1 is known)")     \
        X(KEEL_E_VERITY_BAD_HASH_TYPE, "unsupported verity hash type (only type 1 is supported)")    \
        X(KEEL_E_VERITY_BAD_ALGORITHM, "unknown or malformed verity hash algorithm")                 \
        X(KEEL_E_VERITY_BAD_BLOCK_SIZE, "verity block size is not a power of two from 512 to 524288") \
        X(KEEL_E_VERITY_BAD_SALT_SIZE, "verity salt is longer than 256 bytes")                      \
        X(KEEL_E_VERITY_NO_DATA_BLOCKS, "verity data area is empty")                                \
        X(KEEL_E_VERITY_SIZE_OVERFLOW, "verity device size exceeds 2^63 bytes")                     \
        X(KEEL_E_VERITY_TOO_MANY_LEVELS, "verity hash tree would have more than 63 levels")         \
        X(KEEL_E_VERITY_BAD_HASH_OFFSET, "verity hash offset is not a multiple of 512 (of the hash block size without a superblock)") \
        X(KEEL_E_VERITY_BAD_HEX, "malformed hex string")                                            \
        X(KEEL_E_VERITY_BAD_UUID, "malformed UUID (expected xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)") \
        X(KEEL_E_CMDLINE_TOO_LONG, "command line would exceed the kernel's 2048-byte limit")            \
        X(KEEL_E_CMDLINE_NEWLINE, "command line has a newline (the kernel ignores everything after it)") \
        X(KEEL_E_CMDLINE_LOADS_FILE, "command line names a file for the kernel's EFI stub to load (initrd=, dtb=)") \
        X(KEEL_E_UKI_THIN_AND_FAT_LINUX, "UKI has both .linux and .tlinux (an embedded and a referenced kernel)") \
        X(KEEL_E_UKI_THIN_AND_FAT_INITRD, "UKI has both .initrd and .tinitrd (an embedded and a referenced initrd)") \
        X(KEEL_E_THIN_BAD_HASH, "thin UKI reference: SHA-256 is not 64 lower-case hex digits followed by a space") \
        X(KEEL_E_THIN_BAD_SIZE, "thin UKI reference: size is not a decimal from 1 to 1073741824 without leading zeros followed by a space") \
        X(KEEL_E_THIN_BAD_PATH, "thin UKI reference: path is not absolute, too long, or has an empty, \".\", \"..\" or non-[A-Za-z0-9._-] component") \
        X(KEEL_E_THIN_TRAILING_DATA, "thin UKI reference: bytes after the path other than one final newline") \
        X(KEEL_E_THIN_NO_CONTENT, "thin UKI: the content its .tlinux/.tinitrd names was not provided") \
        X(KEEL_E_THIN_SIZE_MISMATCH, "thin UKI: content size differs from the size in its reference") \
        X(KEEL_E_THIN_HASH_MISMATCH, "thin UKI: content SHA-256 differs from the hash in its reference") \
        X(KEEL_E_FDT_TRUNCATED, "device tree: shorter than its header or its totalsize") \
        X(KEEL_E_FDT_BAD_HEADER, "device tree: bad magic, version or block offsets (not a flattened device tree v16/v17)") \
        X(KEEL_E_UKI_NO_SUCH_PROFILE, "UKI has no profile of that number (fewer .profile sections)") \
        X(KEEL_E_UKI_BAD_PROFILE, "UKI .profile section is not KEY=VALUE lines of printable text") \
        X(KEEL_E_SMBIOS_BAD_ENTRY_POINT, "SMBIOS: entry point with a wrong anchor, too short, or naming no table") \
        X(KEEL_E_SMBIOS_MALFORMED, "SMBIOS: a structure runs past the end of the table") \
        X(KEEL_E_SMBIOS_NOT_FOUND, "SMBIOS: no such structure or string") \
        X(KEEL_E_ADDON_IS_UKI, "addon: has a .linux section (a UKI, not an addon)") \
        X(KEEL_E_ADDON_UNAME_MISMATCH, "addon: its .uname differs from the UKI's") \
        X(KEEL_E_ADDON_EMPTY, "addon: no .cmdline, .dtb, .initrd or .ucode section") \
        X(KEEL_E_PE_LOAD_NOT_EFI_APPLICATION, "PE image: Subsystem is not EFI application (10)") \
        X(KEEL_E_PE_LOAD_IMAGE_TOO_LARGE, "PE image: SizeOfImage is 0 or larger than 1 GiB") \
        X(KEEL_E_PE_LOAD_BAD_ALIGNMENT, "PE image: SectionAlignment larger than 2 MiB") \
        X(KEEL_E_PE_LOAD_RELOCS_STRIPPED, "PE image: relocations stripped (it could run only at its ImageBase)") \
        X(KEEL_E_PE_LOAD_COFF_RELOCATIONS, "PE image: a section has object-file relocations") \
        X(KEEL_E_PE_LOAD_WX_SECTION, "PE image: asks for W^X (NX_COMPAT) but has a writable executable section") \
        X(KEEL_E_PE_LOAD_BAD_ENTRY_POINT, "PE image: entry point is not in an executable section's initialised data") \
        X(KEEL_E_PE_RELOC_TABLE_OUTSIDE, "PE image: base relocation table is not inside a section's initialised data") \
        X(KEEL_E_PE_RELOC_BAD_BLOCK, "PE image: base relocation block is truncated or has a bad size") \
        X(KEEL_E_PE_LOAD_RELOC_UNSUPPORTED, "PE image: base relocation of a type other than DIR64") \
        X(KEEL_E_PE_LOAD_RELOC_OUTSIDE_IMAGE, "PE image: base relocation target outside SizeOfImage") \
        X(KEEL_E_PE_RELOC_UNKNOWN_TYPE, "PE image: base relocation of a type keel does not check (it knows ABSOLUTE, HIGH, LOW, HIGHLOW and DIR64)") \
        X(KEEL_E_PE_RELOC_IN_HEADERS, "PE image: base relocation changes the PE headers in memory") \
        X(KEEL_E_PE_RELOC_OUTSIDE_SECTIONS, "PE image: base relocation target is in no section (a gap between sections, or past the image)") \
        X(KEEL_E_PE_RELOC_STRADDLES_SECTIONS, "PE image: base relocation target is only partly inside a section") \
        X(KEEL_E_PE_RELOC_CHANGES_TABLE, "PE image: base relocation changes the base relocation table itself") \
        X(KEEL_E_UKI_RELOC_CHANGES_SECTION, "base relocation changes a UKI section (.linux, .cmdline, .sbat, ...) in memory: the firmware would run other bytes than the file shows") \
        X(KEEL_E_KBD_LAYOUT_SHORT, "keyboard layout: truncated header") \
        X(KEEL_E_KBD_LAYOUT_LENGTH, "keyboard layout: wrong LayoutLength") \
        X(KEEL_E_KBD_LAYOUT_OFFSET, "keyboard layout: strings outside it") \
        X(KEEL_E_KBD_LAYOUT_NO_STRINGS, "keyboard layout: no strings") \
        X(KEEL_E_KBD_LAYOUT_UNTERMINATED, "keyboard layout: unterminated tag") \
        X(KEEL_E_KBD_LAYOUT_EMPTY_TAG, "keyboard layout: empty tag") \
        X(KEEL_E_KBD_LAYOUT_BAD_TAG, "keyboard layout: tag not [A-Za-z0-9-]{1,35}") \
        X(KEEL_E_RANDOM_SEED_TABLE_BAD, "random seed table of a previous boot stage is shorter than its header or over 512 bytes") \
        X(KEEL_E_RANDOM_SEED_UNTRUSTED, "random seed: Secure Boot is on and the firmware gave no randomness; the ESP's seed alone is not trusted") \
        X(KEEL_E_RANDOM_SEED_NO_ENTROPY, "random seed: no randomness from the firmware and no LoaderSystemToken of 32 bytes or more") \
        X(KEEL_E_RANDOM_SEED_NO_FILE, "random seed: no random-seed file and no randomness from the firmware to create one from") \
        X(KEEL_E_RANDOM_SEED_FILE_TOO_LARGE, "random seed: the random-seed file is larger than 32 KiB") \
        X(KEEL_E_RANDOM_SEED_NO_COUNTER, "random seed: no monotonic counter and no randomness from the firmware") \
        X(KEEL_E_EXTRA_UNKNOWN_KIND, "extra file: not .cred, .sysext.raw, .confext.raw") \
        X(KEEL_E_EXTRA_BAD_NAME, "extra file: name empty, over 255 bytes or not ASCII") \
        X(KEEL_E_COMPANIONS_EMPTY, "offered initrd: empty") \
        X(KEEL_E_COMPANIONS_TOO_LARGE, "offered initrd: over 1 GiB") \
        X(KEEL_E_COMPANIONS_TRUNCATED, "offered initrd: truncated") \
        X(KEEL_E_COMPANIONS_UNTERMINATED, "offered initrd: no cpio trailer") \
        X(KEEL_E_COMPANIONS_MISALIGNED, "offered initrd: misaligned cpio") \
        X(KEEL_E_COMPANIONS_NOT_NEWC, "offered initrd: not newc cpio") \
        X(KEEL_E_COMPANIONS_BAD_NUMBER, "offered initrd: bad cpio number") \
        X(KEEL_E_COMPANIONS_BAD_NAME, "offered initrd: bad cpio name") \
        X(KEEL_E_COMPANIONS_BAD_OWNER, "offered initrd: owner not 0") \
        X(KEEL_E_COMPANIONS_BAD_TYPE, "offered initrd: not a plain file or directory") \
        X(KEEL_E_COMPANIONS_BAD_MODE, "offered initrd: wrong permissions") \
        X(KEEL_E_COMPANIONS_NOT_EXTRA, "offered initrd: not a companion path")

enum keel_error {
#define KEEL_ERROR_ENUM(name, text) name,
        KEEL_ERRORS(KEEL_ERROR_ENUM)
#undef KEEL_ERROR_ENUM
        _KEEL_ERROR_MAX,
};

/* A static, human-readable description for any value, known or not. */
const char *keel_strerror(int error);
