/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counters with one writer and any number of readers: the writer stores with relaxed atomics,
 * readers load the same way. No ordering between counters is promised, only that each value
 * read is one the writer stored (no torn 64-bit reads), which is all a statistics line needs.
 */
#ifndef FP_COUNTERS_H
#define FP_COUNTERS_H

#include <stddef.h>
#include <stdint.h>

/* Writer only: add to a counter that readers may be loading. */
static inline void fp_counter_add(uint64_t *c, uint64_t v)
{
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/* Copy a struct made only of uint64_t counters, each word atomically (`bytes` a multiple of 8). */
static inline void fp_counters_copy(void *dst, const void *src, size_t bytes)
{
	const uint64_t *s = src;
	uint64_t *d = dst;
	for (size_t i = 0; i < bytes / sizeof(uint64_t); i++)
		__atomic_store_n(&d[i], __atomic_load_n(&s[i], __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

#endif
