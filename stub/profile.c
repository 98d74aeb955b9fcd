/* SPDX-License-Identifier: MIT */
#include "profile.h"
#include "../common/measure.h"
#include "../efi/tpm.h"

/* The decimal digits of v, NUL-terminated, into out (11 bytes hold any unsigned). */
static size_t format_unsigned(unsigned v, char out[11]) {
        char rev[10];
        size_t n = 0, i = 0;

        do {
                rev[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        while (n > 0)
                out[i++] = rev[--n];
        out[i] = '\0';
        return i;
}

void stub_profile_measure(const struct self_image *self, struct stub_measurements *m) {
        char digits[11];
        CHAR16 text[11];
        size_t n;

        if (self->profile == 0)
                return;
        n = format_unsigned(self->profile, digits);
        for (size_t i = 0; i <= n; i++)
                text[i] = (CHAR16) digits[i];
        stub_measured_combine(&m->kernel_parameters,
                              stub_measure_result(m,
                                                  tpm_log_tagged_event(MEASURE_PCR_KERNEL_PARAMETERS, text,
                                                                       (n + 1) * sizeof(CHAR16),
                                                                       UKI_PROFILE_EVENT_TAG_ID, text),
                                                  MEASURE_PCR_KERNEL_PARAMETERS));
}

void stub_profile_export(const struct self_image *self) {
        char digits[11];

        format_unsigned(self->profile, digits);
        efivar_set_str(&loader_vendor_guid, L"StubProfile", digits, EFI_VARIABLE_VOLATILE_ACCESS);
}
