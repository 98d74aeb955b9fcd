/* SPDX-License-Identifier: MIT */
/* The stub's TPM measurements: the UKI's sections into PCR 11, a command line
 * from outside the UKI into PCR 12, and the variables that tell the booted
 * system which of them happened. */
#pragma once

#include "../efi/self.h"
#include "../common/measure.h"

/* What was measured, for the StubPcr* variables. The PCR 12 and 13 flags
 * combine many measurements (systemd-stub's rule): < 0 nothing was
 * submitted yet, then 1 while every submitted measurement succeeded, 0 once
 * one did not; stub_measured_combine() keeps that rule. */
struct stub_measurements {
        bool kernel_image;      /* every PCR 11 event was measured */
        int kernel_parameters;  /* PCR 12: outside command lines, credentials, confexts, addons, profile */
        int sysexts;            /* PCR 13: system extension images */
        int confexts;           /* PCR 12: configuration extension images (StubPcrInitRDConfExts) */
        bool reported;          /* the console line about a missing TPM or an error was printed */
};

#define STUB_MEASUREMENTS_INIT { .kernel_parameters = -1, .sysexts = -1, .confexts = -1 }

/* Folds one measurement's outcome into *flag (see struct stub_measurements). */
void stub_measured_combine(int *flag, bool measured);

/* The outcome of one TPM call: true when measured; otherwise false, and the
 * one console line per boot about a missing or failing TPM is printed. */
bool stub_measure_result(struct stub_measurements *m, EFI_STATUS err, uint32_t pcr);

/* Measures the sections of this UKI (as the firmware loaded them) into PCR
 * 11 in systemd-stub's canonical order; the event list comes from
 * measure_uki_events() in common/, the one `keel pcr predict` replays. thin:
 * a thin UKI's checked content (stub/thin.h), as for measure_uki_events(). */
void stub_measure_sections(const struct self_image *self, const struct measure_thin_content *thin,
                           struct stub_measurements *m);

/* Measures a command line (or a part appended to it: an addon's, SMBIOS's)
 * into PCR 12 as systemd-stub's tpm_log_load_options() does, and folds the
 * outcome into m->kernel_parameters; call only for what came from outside
 * the UKI's own .cmdline. */
void stub_measure_cmdline(const CHAR16 *cmdline, struct stub_measurements *m);

/* StubPcrKernelImage / StubPcrKernelParameters / StubPcrInitRDSysExts /
 * StubPcrInitRDConfExts, each only when its measurements all succeeded. */
void stub_export_pcr_variables(const struct stub_measurements *m);
