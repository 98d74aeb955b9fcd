/* SPDX-License-Identifier: MIT */
/* Measurements through the firmware's EFI_TCG2_PROTOCOL (TCG EFI Protocol
 * Specification, family 2.0): the firmware hashes the data with every active
 * PCR bank, extends the PCR and appends an event to the TCG event log. keel
 * logs every event as EV_IPL whose event data is a UTF-16 description with
 * its NUL, like systemd-boot and systemd-stub. */
#pragma once

#include "efi.h"

#define EFI_TCG2_PROTOCOL_GUID { 0x607f766c, 0x7455, 0x42be, { 0x93, 0x0b, 0xe4, 0xd7, 0x6d, 0xb2, 0x72, 0x0f } }

#define TCG_EV_IPL 0x0000000du
#define TCG_EV_EVENT_TAG 0x00000006u
#define EFI_TCG2_EVENT_HEADER_VERSION 1

typedef struct {
        uint8_t Major;
        uint8_t Minor;
} EFI_TCG2_VERSION;

typedef struct {
        uint8_t Size;
        EFI_TCG2_VERSION StructureVersion;
        EFI_TCG2_VERSION ProtocolVersion;
        uint32_t HashAlgorithmBitmap;
        uint32_t SupportedEventLogs;
        BOOLEAN TPMPresentFlag;
        uint16_t MaxCommandSize;
        uint16_t MaxResponseSize;
        uint32_t ManufacturerID;
        uint32_t NumberOfPCRBanks;
        uint32_t ActivePcrBanks;
} EFI_TCG2_BOOT_SERVICE_CAPABILITY;

/* The 1.0 layout some old firmware still reports (StructureVersion 1.0);
 * only the presence flag is read from it. */
typedef struct {
        uint8_t Size;
        EFI_TCG2_VERSION StructureVersion;
        EFI_TCG2_VERSION ProtocolVersion;
        uint8_t HashAlgorithmBitmap;
        uint8_t SupportedEventLogs;
        BOOLEAN TPMPresentFlag;
        BOOLEAN TPMDeactivatedFlag;
} EFI_TCG2_BOOT_SERVICE_CAPABILITY_1_0;

typedef struct {
        uint32_t HeaderSize;
        uint16_t HeaderVersion;
        uint32_t PCRIndex;
        uint32_t EventType;
} _packed_ EFI_TCG2_EVENT_HEADER;

typedef struct {
        uint32_t Size;
        EFI_TCG2_EVENT_HEADER Header;
        uint8_t Event[];
} _packed_ EFI_TCG2_EVENT;

typedef struct EFI_TCG2_PROTOCOL EFI_TCG2_PROTOCOL;
struct EFI_TCG2_PROTOCOL {
        EFI_STATUS (EFIAPI *GetCapability)(EFI_TCG2_PROTOCOL *this, EFI_TCG2_BOOT_SERVICE_CAPABILITY *capability);
        EFI_STATUS (EFIAPI *GetEventLog)(EFI_TCG2_PROTOCOL *this, uint32_t format, EFI_PHYSICAL_ADDRESS *location,
                                         EFI_PHYSICAL_ADDRESS *last_entry, BOOLEAN *truncated);
        EFI_STATUS (EFIAPI *HashLogExtendEvent)(EFI_TCG2_PROTOCOL *this, uint64_t flags, EFI_PHYSICAL_ADDRESS data,
                                                uint64_t data_len, EFI_TCG2_EVENT *event);
        void *SubmitCommand;
        EFI_STATUS (EFIAPI *GetActivePcrBanks)(EFI_TCG2_PROTOCOL *this, uint32_t *active_pcr_banks);
        void *SetActivePcrBanks;
        void *GetResultOfSetActivePcrBanks;
};

/* Returned by the functions below when the machine has no usable TPM 2.0
 * (no EFI_TCG2_PROTOCOL, or the firmware reports no TPM present): nothing
 * was measured, and that is not an error for a boot to stop on. */
#define TPM_STATUS_ABSENT EFI_NOT_FOUND

/* True when a TPM 2.0 is there to measure into. */
bool tpm_present(void);

/* The active PCR banks as EFI_TCG2_BOOT_HASH_ALG_* bits (SHA-1 1, SHA-256 2,
 * SHA-384 4, SHA-512 8, SM3 0x10), what LoaderTpm2ActivePcrBanks reports
 * (systemd 258): 0 without a TPM, all ones from a TCG2 protocol older than
 * 1.1, which cannot say (systemd's rules). */
uint32_t tpm_active_pcr_banks(void);

/* Measures size bytes at data into pcr with one EV_IPL event whose data is
 * description (UTF-16, logged with its NUL). EFI_SUCCESS when measured,
 * TPM_STATUS_ABSENT without a TPM, the firmware's error otherwise. */
EFI_STATUS tpm_log_event(uint32_t pcr, const void *data, size_t size, const CHAR16 *description);

/* The same with an ASCII description (converted to UTF-16 for the log). */
EFI_STATUS tpm_log_event_ascii(uint32_t pcr, const void *data, size_t size, const char *description);

/* A kernel command line from outside the image (a loader's entry options,
 * LoadOptions handed to the stub): measured into PCR 12 as the UTF-16
 * string with its NUL, the string itself as the description — what
 * systemd-boot and systemd-stub do, so PCR 12 predictions carry over. */
EFI_STATUS tpm_measure_kernel_parameters(const CHAR16 *cmdline);

/* Measures size bytes at data into pcr with one EV_EVENT_TAG event (TCG PC
 * Client spec: TCG_PCClientTaggedEvent) whose TaggedEventID is tag_id and
 * whose tagged data is description (UTF-16 with its NUL): how systemd-stub
 * 257+ logs what it measures from outside the UKI besides command lines
 * (the profile number, addons' initrds, microcode and device trees), so
 * that an event log reader can tell them apart. Returns as tpm_log_event(). */
EFI_STATUS tpm_log_tagged_event(uint32_t pcr, const void *data, size_t size, uint32_t tag_id,
                                const CHAR16 *description);
