/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK backend: EAL set-up, ports (one rx queue per worker lcore, symmetric RSS, promiscuous),
 * and the per-worker capture that polls its queues. Everything here runs on the main lcore
 * except the capture's recv_burst, which runs on the worker's own lcore.
 */
#ifndef FP_DPDK_H
#define FP_DPDK_H

#include <stdint.h>

#include "capture.h"
#include "config.h"
#include "method.h"

#define FP_DPDK_MAX_PORTS FP_CAPTURE_MAX_PORTS
#define FP_DPDK_MAX_WORKERS FP_CAPTURE_MAX_WORKERS

/* 1 when this build has DPDK. */
int fp_dpdk_available(void);

/*
 * rte_eal_init with the EAL arguments, pick ports, create the mbuf pool, configure and start
 * every port with one rx queue per worker lcore, and open one capture per worker into `caps`.
 * Returns the number of workers (≥ 1), or -1 after logging the cause. Main lcore.
 */
int fp_dpdk_init(const struct fp_config *cfg, struct fp_capture *caps, unsigned max_workers);

/* Launch fn(arg_i) on the i-th worker lcore. Returns 0 or -1. */
int fp_dpdk_launch(unsigned worker, int (*fn)(void *), void *arg);

/* Wait for every worker lcore to return. */
void fp_dpdk_wait(void);

/* Current port counters; returns how many ports were written. Any thread. */
unsigned fp_dpdk_port_stats(struct fp_port_stats *out, unsigned max);

/* Stop and close ports, release the pool, rte_eal_cleanup. Main lcore, after fp_dpdk_wait. */
void fp_dpdk_fini(struct fp_capture *caps, unsigned n);

#endif
