/* SPDX-License-Identifier: BSD-3-Clause */
/* The clocks the probe reads off the packet path: wall clock for export times, monotonic for
 * intervals. Any thread. */
#ifndef FP_CLOCK_H
#define FP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t fp_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static inline uint64_t fp_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline double fp_mono_s(void)
{
	return (double)fp_mono_ns() / 1e9;
}

#endif
