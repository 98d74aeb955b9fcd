/* SPDX-License-Identifier: MIT */
/* The stub's TPM measurements: the UKI's sections into PCR 11, a command line
 * from outside the UKI into PCR 12, and the variables that tell the booted
 * system which of them happened. */
#pragma once

#include "../efi/self.h"
#include "../common/measure.h"

struct stub_measurements {
        bool kernel_image;      /* every PCR 11 event was measured */
        bool kernel_parameters; /* the outside command line was measured into PCR 12 */
        bool reported;          /* the console line about a missing TPM or an error was printed */
};

/* Measures the sections of this UKI (as the firmware loaded them) into PCR
 * 11 in systemd-stub's canonical order; the event list comes from
 * measure_uki_events() in common/, the one `keel pcr predict` replays. thin:
 * a thin UKI's checked content (stub/thin.h), as for measure_uki_events(). */
void stub_measure_sections(const struct self_image *self, const struct measure_thin_content *thin,
                           struct stub_measurements *m);

/* Measures the command line the kernel is about to get into PCR 12; call only
 * when it came from outside the UKI. */
void stub_measure_cmdline(const CHAR16 *cmdline, struct stub_measurements *m);

/* StubPcrKernelImage / StubPcrKernelParameters, each only when that
 * measurement succeeded. */
void stub_export_pcr_variables(const struct stub_measurements *m);
