/* SPDX-License-Identifier: MIT */
#include "measure.h"
#include "../common/error.h"
#include "../common/measure.h"
#include "../efi/tpm.h"

/* No TPM, or a TPM that fails, must not stop the boot: one console line says
 * so (once per boot, however many events fail) and the variables stay unset. */
static void report_failure(struct stub_measurements *m, EFI_STATUS err, uint32_t pcr) {
        if (m->reported)
                return;
        m->reported = true;
        if (err == TPM_STATUS_ABSENT)
                efi_print("keel: no TPM 2.0 found; booting without measurements\n");
        else
                efi_print("keel: TPM measurement into PCR %u failed (%s); booting on, measurements incomplete\n", pcr,
                          efi_status_text(err));
}

void stub_measure_sections(const struct self_image *self, const struct measure_thin_content *thin,
                           struct stub_measurements *m) {
        struct measure_event events[MEASURE_UKI_EVENTS_MAX];
        size_t n = 0;
        int r;

        m->kernel_image = false;
        r = measure_uki_events(&self->sections, self->base, self->size, MEASURE_LAYOUT_MEMORY, thin, events, &n);
        if (r != KEEL_OK) {
                /* Cannot happen for an image main.c already validated; measure nothing rather than a part. */
                efi_print("keel: cannot list the sections to measure: %s\n", keel_strerror(r));
                m->reported = true;
                return;
        }
        if (!tpm_present()) {
                report_failure(m, TPM_STATUS_ABSENT, MEASURE_PCR_KERNEL_IMAGE);
                return;
        }
        for (size_t i = 0; i < n; i++) {
                EFI_STATUS err;

                /* zero_tail is always 0 in the memory layout: the loader already zero-filled VirtualSize. */
                err = tpm_log_event_ascii(events[i].pcr, events[i].data, events[i].size, events[i].description);
                if (err != EFI_SUCCESS) {
                        report_failure(m, err, events[i].pcr);
                        return;
                }
        }
        m->kernel_image = n > 0;
}

void stub_measured_combine(int *flag, bool measured) {
        *flag = *flag < 0 ? measured : (*flag && measured);
}

bool stub_measure_result(struct stub_measurements *m, EFI_STATUS err, uint32_t pcr) {
        if (err == EFI_SUCCESS)
                return true;
        report_failure(m, err, pcr);
        return false;
}

void stub_measure_cmdline(const CHAR16 *cmdline, struct stub_measurements *m) {
        if (!cmdline)
                return;
        stub_measured_combine(&m->kernel_parameters,
                              stub_measure_result(m, tpm_measure_kernel_parameters(cmdline),
                                                  MEASURE_PCR_KERNEL_PARAMETERS));
}

void stub_export_pcr_variables(const struct stub_measurements *m) {
        if (m->kernel_image)
                efivar_set_str(&loader_vendor_guid, L"StubPcrKernelImage", "11", EFI_VARIABLE_VOLATILE_ACCESS);
        if (m->kernel_parameters > 0)
                efivar_set_str(&loader_vendor_guid, L"StubPcrKernelParameters", "12", EFI_VARIABLE_VOLATILE_ACCESS);
        if (m->sysexts > 0)
                efivar_set_str(&loader_vendor_guid, L"StubPcrInitRDSysExts", "13", EFI_VARIABLE_VOLATILE_ACCESS);
        if (m->confexts > 0)
                efivar_set_str(&loader_vendor_guid, L"StubPcrInitRDConfExts", "12", EFI_VARIABLE_VOLATILE_ACCESS);
}
