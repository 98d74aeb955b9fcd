/* SPDX-License-Identifier: MIT */
/* Multi-profile UKIs (systemd 257): the profile this boot uses (self->profile,
 * chosen in efi/main.c from an "@N" prefix of the load options), measured
 * into PCR 12 and exported as StubProfile as systemd-stub does. */
#pragma once

#include "measure.h"
#include "../efi/self.h"

/* The StubFeatures bits this file implements: MULTI_PROFILE_UKI (bit 9,
 * "Stub understands profile selector"). */
#define STUB_FEATURE_MULTI_PROFILE_UKI (UINT64_C(1) << 9)
#define STUB_PROFILE_FEATURES STUB_FEATURE_MULTI_PROFILE_UKI

/* systemd's UKI_PROFILE_EVENT_TAG_ID (src/fundamental/tpm2-pcr.h). */
#define UKI_PROFILE_EVENT_TAG_ID UINT32_C(0x13aed6db)

/* For a profile other than 0: one tagged event into PCR 12 whose data and
 * description are the profile number in decimal as UTF-16 with its NUL.
 * Profile 0 is not measured (a UKI without profiles boots as before). */
void stub_profile_measure(const struct self_image *self, struct stub_measurements *m);

/* StubProfile: the profile number in decimal, always (0 included). */
void stub_profile_export(const struct self_image *self);
