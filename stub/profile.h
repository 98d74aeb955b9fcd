/* SPDX-License-Identifier: MIT */
/* Multi-profile UKIs (systemd 257): the profile this boot uses (self->profile,
 * chosen in efi/main.c from an "@N" prefix of the load options), measured
 * into PCR 12 and exported as StubProfile as systemd-stub does. */
#pragma once

#include "measure.h"
#include "../efi/self.h"

/* The StubFeatures bits this file implements. */
#define STUB_PROFILE_FEATURES UINT64_C(0)

void stub_profile_measure(const struct self_image *self, struct stub_measurements *m);
void stub_profile_export(const struct self_image *self);
