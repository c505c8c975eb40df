/* SPDX-License-Identifier: BSD-3-Clause */
#include "method.h"

#include <stddef.h>

/* The capture methods, asked in order; libpcap, last, takes what no other wants. */
static const struct fp_capture_method *const methods[] = {
    &fp_capture_dpdk,
    &fp_capture_pcap,
};

const struct fp_capture_method *fp_capture_method_for(const struct fp_config *cfg)
{
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i]->wanted(cfg))
			return methods[i];
	return &fp_capture_pcap;
}
