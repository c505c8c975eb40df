/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Community ID v1 (the flow hash Zeek, Suricata, Arkime and Wireshark emit), so flow records can
 * be joined with their logs: "1:" + base64(SHA1(seed . src . dst . proto . 0 . sport . dport)),
 * the endpoints ordered so that both directions give one value. ICMP and ICMPv6 put the type and
 * its counterpart (an echo's reply type, ...) in the ports, or type and code for messages with
 * no counterpart, which keep their direction. Protocols without ports hash the addresses and
 * protocol only. Any thread (no state).
 */
#ifndef FP_CID_H
#define FP_CID_H

#include <stdint.h>

#include "fp_key.h"

#define FP_CID_LEN 31	 /* "1:" + 28 base64 characters + NUL */
#define FP_CID_DIGEST 20 /* the SHA-1 the text encodes */

/* The Community ID of `k` (ICMP type and code in k->dport, as keys carry them) into `out`. */
void fp_cid_v1(const struct fp_flow_key *k, uint16_t seed, char out[FP_CID_LEN]);

/* The digest behind fp_cid_v1's text. */
void fp_cid_v1_digest(const struct fp_flow_key *k, uint16_t seed, uint8_t md[FP_CID_DIGEST]);

/* The digest of a Community ID's text ("1:..."): 0, or -1 when `s` is not one. */
int fp_cid_parse(const char *s, uint8_t md[FP_CID_DIGEST]);

/* The digest's first 8 bytes as a number: what the packet store's index is keyed by. */
uint64_t fp_cid_key64(const uint8_t md[FP_CID_DIGEST]);

#endif
