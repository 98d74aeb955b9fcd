/* SPDX-License-Identifier: MIT */
#include "time.h"

static uint64_t rdtsc(void) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        return ((uint64_t) hi << 32) | lo;
}

/* Ticks per microsecond, measured once against a firmware delay of 1 ms. */
static uint64_t ticks_per_usec(void) {
        static uint64_t cached;
        uint64_t start;

        if (cached == 0) {
                start = rdtsc();
                BS->Stall(1000);
                cached = (rdtsc() - start) / 1000;
        }
        return cached;
}

uint64_t time_usec(void) {
        uint64_t f = ticks_per_usec();
        return f == 0 ? 0 : rdtsc() / f;
}
