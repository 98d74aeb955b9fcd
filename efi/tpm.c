/* SPDX-License-Identifier: MIT */
#include "tpm.h"
#include "../common/measure.h"
#include "../common/utf.h"

static const EFI_GUID tcg2_protocol_guid = EFI_TCG2_PROTOCOL_GUID;

/* The protocol, when the firmware has one and says a TPM is behind it;
 * *ret_old: it speaks the 1.0 structure or a protocol before 1.1, which has
 * no GetActivePcrBanks(). */
static EFI_TCG2_PROTOCOL *tcg2_full(bool *ret_old) {
        EFI_TCG2_BOOT_SERVICE_CAPABILITY caps = { .Size = sizeof(caps) };
        EFI_TCG2_PROTOCOL *p = NULL;

        *ret_old = false;
        if (BS->LocateProtocol((EFI_GUID *) &tcg2_protocol_guid, NULL, (void **) &p) != EFI_SUCCESS || !p)
                return NULL;
        if (p->GetCapability(p, &caps) != EFI_SUCCESS)
                return NULL;
        /* Firmware implementing the 1.0 structure fills in a shorter layout. */
        if (caps.StructureVersion.Major == 1 && caps.StructureVersion.Minor == 0) {
                *ret_old = true;
                return ((EFI_TCG2_BOOT_SERVICE_CAPABILITY_1_0 *) &caps)->TPMPresentFlag ? p : NULL;
        }
        *ret_old = caps.ProtocolVersion.Major < 1 || (caps.ProtocolVersion.Major == 1 && caps.ProtocolVersion.Minor < 1);
        return caps.TPMPresentFlag ? p : NULL;
}

static EFI_TCG2_PROTOCOL *tcg2(void) {
        bool old;
        return tcg2_full(&old);
}

bool tpm_present(void) {
        return tcg2() != NULL;
}

uint32_t tpm_active_pcr_banks(void) {
        bool old;
        EFI_TCG2_PROTOCOL *p = tcg2_full(&old);
        uint32_t banks = 0;

        if (!p)
                return 0;
        if (old)
                return UINT32_MAX;
        if (p->GetActivePcrBanks(p, &banks) != EFI_SUCCESS)
                return 0;
        return banks;
}

/* TCG_PCClientTaggedEvent: the header of an EV_EVENT_TAG event's data. */
struct tagged_event_header {
        uint32_t tagged_event_id;
        uint32_t tagged_event_data_size;
} _packed_;

/* One event of type event_type whose data is the tagged header (when tagged)
 * followed by description as UTF-16 with its NUL. */
static EFI_STATUS log_event(uint32_t pcr, const void *data, size_t size, uint32_t event_type, bool tagged,
                            uint32_t tag_id, const CHAR16 *description) {
        EFI_TCG2_PROTOCOL *p = tcg2();
        EFI_TCG2_EVENT *event;
        size_t description_size, header_size = tagged ? sizeof(struct tagged_event_header) : 0;
        EFI_STATUS err;

        if (!p)
                return TPM_STATUS_ABSENT;
        if (!description || (!data && size > 0))
                return EFI_INVALID_PARAMETER;

        description_size = (utf16_strnlen(description, UINT32_MAX / 4) + 1) * sizeof(CHAR16);
        event = efi_alloc_zero(sizeof(EFI_TCG2_EVENT) + header_size + description_size);
        if (!event)
                return EFI_OUT_OF_RESOURCES;
        event->Size = (uint32_t) (sizeof(EFI_TCG2_EVENT) + header_size + description_size);
        event->Header.HeaderSize = sizeof(EFI_TCG2_EVENT_HEADER);
        event->Header.HeaderVersion = EFI_TCG2_EVENT_HEADER_VERSION;
        event->Header.PCRIndex = pcr;
        event->Header.EventType = event_type;
        if (tagged) {
                struct tagged_event_header h = { tag_id, (uint32_t) description_size };
                memcpy(event->Event, &h, sizeof(h));
        }
        memcpy(event->Event + header_size, description, description_size);

        err = p->HashLogExtendEvent(p, 0, (EFI_PHYSICAL_ADDRESS) (uintptr_t) data, size, event);
        efi_free(event);
        return err;
}

EFI_STATUS tpm_log_event(uint32_t pcr, const void *data, size_t size, const CHAR16 *description) {
        return log_event(pcr, data, size, TCG_EV_IPL, false, 0, description);
}

EFI_STATUS tpm_log_tagged_event(uint32_t pcr, const void *data, size_t size, uint32_t tag_id,
                                const CHAR16 *description) {
        return log_event(pcr, data, size, TCG_EV_EVENT_TAG, true, tag_id, description);
}

EFI_STATUS tpm_log_event_ascii(uint32_t pcr, const void *data, size_t size, const char *description) {
        size_t len = strlen(description);
        CHAR16 *wide = efi_alloc((len + 1) * sizeof(CHAR16));
        EFI_STATUS err;

        if (!wide)
                return EFI_OUT_OF_RESOURCES;
        utf8_to_utf16(description, len, wide);
        err = tpm_log_event(pcr, data, size, wide);
        efi_free(wide);
        return err;
}

EFI_STATUS tpm_measure_kernel_parameters(const CHAR16 *cmdline) {
        if (!cmdline)
                return EFI_INVALID_PARAMETER;
        return tpm_log_event(MEASURE_PCR_KERNEL_PARAMETERS, cmdline,
                             (utf16_strnlen(cmdline, UINT32_MAX / 4) + 1) * sizeof(CHAR16), cmdline);
}
