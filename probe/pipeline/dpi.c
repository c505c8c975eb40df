/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Design
 * - One map per worker (lib/fp_keymap) from a flow's canonical key (both directions alike, the
 *   VLAN without the port slot, as records carry it) to an entry from a pool allocated at start.
 * - nDPI's flow state (688 bytes in 4.2) is taken from a second pool of the same size only while
 *   a flow is inspected, and given back at the verdict (ndpi_free_flow_data frees what nDPI
 *   allocated inside it: user agent, URL...).
 * - Names come from what nDPI extracts (host_server_name holds the TLS/QUIC SNI, the HTTP Host
 *   and the DNS query; http.method, response_status_code, user_agent; dns.query_type,
 *   reply_code): nDPI parses them bounded already, so we keep no parser of our own for them.
 * - An entry stays after the verdict so that the flow's records (several with active timeouts,
 *   two without --biflow) find the result. It goes with the last record of each direction it saw
 *   (or the biflow record); one untouched for keep_ms (longer than any record can take to leave:
 *   a direction that never got its record) is swept.
 */
#include "dpi.h"

#include "fp_counters.h"
#include "fp_key.h"
#include "fp_keymap.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef FP_HAVE_NDPI
#include <ndpi/ndpi_api.h>

#define SWEEP_SLICE 64

struct entry {
	uint64_t touched_ms;
	struct ndpi_flow_struct *flow; /* while inspected, else NULL */
	uint32_t packets;
	uint8_t used;
	uint8_t taken;	   /* a record left with the result */
	uint8_t dirs_seen; /* bit 0: packets in the canonical orientation, bit 1: the other */
	uint8_t dirs_done; /* directions whose last record left */
	struct fp_app app;
};

struct fp_dpi {
	struct fp_dpi_config cfg;
	struct ndpi_detection_module_struct *mod;
	struct fp_keymap map;
	struct entry *entries;
	uint8_t *flow_pool; /* max_flows nDPI flow states */
	uint32_t *flow_free;
	uint32_t flow_free_n;
	size_t flow_size;
	uint32_t max_inspect; /* nDPI flow states */
	uint32_t sweep_pos;
	struct fp_app out; /* the result handed out when its entry went with the record */
	struct fp_dpi_stats st;
};

int fp_dpi_available(void)
{
	return 1;
}

size_t fp_dpi_bytes_per_flow(void)
{
	/* an entry, its key, hash, free link and two slots, and a quarter of an nDPI flow state
	 * and its free slot */
	return sizeof(struct entry) + sizeof(struct fp_flow_key) + 8 + 4 + 2 * sizeof(uint32_t) +
	       (ndpi_detection_get_sizeof_ndpi_flow_struct() + sizeof(uint32_t)) / 4;
}

struct fp_dpi *fp_dpi_create(const struct fp_dpi_config *cfg)
{
	struct fp_dpi *d = calloc(1, sizeof(*d));
	if (d == NULL)
		goto oom;
	d->cfg = *cfg;
	d->flow_size = ndpi_detection_get_sizeof_ndpi_flow_struct();
	if (fp_keymap_init(&d->map, cfg->max_flows) != 0)
		goto oom;
	d->entries = calloc(cfg->max_flows, sizeof(*d->entries));
	d->max_inspect = cfg->max_flows / 4 > 16 ? cfg->max_flows / 4 : 16;
	d->flow_pool = calloc(d->max_inspect, d->flow_size);
	d->flow_free = calloc(d->max_inspect, sizeof(*d->flow_free));
	if (d->entries == NULL || d->flow_pool == NULL || d->flow_free == NULL)
		goto oom;
	for (uint32_t i = 0; i < d->max_inspect; i++)
		d->flow_free[i] = d->max_inspect - 1 - i;
	d->flow_free_n = d->max_inspect;
	d->mod = ndpi_init_detection_module(ndpi_no_prefs);
	if (d->mod == NULL) {
		fp_log(LOG_ERR, "--dpi: nDPI cannot start its detection module");
		fp_dpi_destroy(d);
		return NULL;
	}
	NDPI_PROTOCOL_BITMASK all;
	NDPI_BITMASK_SET_ALL(all);
	ndpi_set_protocol_detection_bitmask2(d->mod, &all);
	ndpi_finalize_initialization(d->mod);
	return d;
oom:
	fp_log(LOG_ERR, "--dpi: cannot allocate state for %u flows (lower --dpi-max-flows)",
	       cfg->max_flows);
	fp_dpi_destroy(d);
	return NULL;
}

void fp_dpi_destroy(struct fp_dpi *d)
{
	if (d == NULL)
		return;
	for (uint32_t i = 0; d->entries && i < d->cfg.max_flows; i++)
		if (d->entries[i].used && d->entries[i].flow)
			ndpi_free_flow_data(d->entries[i].flow);
	if (d->mod)
		ndpi_exit_detection_module(d->mod);
	fp_keymap_fini(&d->map);
	free(d->entries);
	free(d->flow_pool);
	free(d->flow_free);
	free(d);
}

/* Give entry `e`'s nDPI flow state back to the pool (with what nDPI allocated inside it). */
static void flow_state_put(struct fp_dpi *d, struct entry *e)
{
	ndpi_free_flow_data(e->flow);
	d->flow_free[d->flow_free_n++] =
	    (uint32_t)(((uint8_t *)e->flow - d->flow_pool) / d->flow_size);
	e->flow = NULL;
}

/* Remove entry `i` (and its nDPI state). */
static void entry_free(struct fp_dpi *d, uint32_t i)
{
	struct entry *e = &d->entries[i];
	if (e->flow)
		flow_state_put(d, e);
	e->used = 0;
	fp_keymap_del(&d->map, i);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
	if (src == NULL) {
		dst[0] = '\0';
		return;
	}
	size_t n = strnlen(src, cap - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int is_proto(ndpi_protocol p, uint16_t id)
{
	return p.master_protocol == id || p.app_protocol == id;
}

/* The verdict: what nDPI found goes into the entry's result; its flow state goes back. */
static void verdict(struct fp_dpi *d, struct entry *e, ndpi_protocol p, int guessed)
{
	struct ndpi_flow_struct *f = e->flow;
	struct fp_app *a = &e->app;

	memset(a, 0, sizeof(*a));
	a->master = p.master_protocol;
	a->app = p.app_protocol;
	a->flags = FP_APP_CLASSIFIED | (guessed ? FP_APP_GUESSED : 0);
	ndpi_protocol2name(d->mod, p, a->app_name, sizeof(a->app_name));
	if (p.master_protocol == NDPI_PROTOCOL_UNKNOWN && p.app_protocol == NDPI_PROTOCOL_UNKNOWN)
		fp_counter_add(&d->st.flows_unknown, 1);
	else if (guessed)
		fp_counter_add(&d->st.flows_guessed, 1);
	else
		fp_counter_add(&d->st.flows_classified, 1);
	if (f->host_server_name[0] &&
	    (is_proto(p, NDPI_PROTOCOL_TLS) || is_proto(p, NDPI_PROTOCOL_QUIC) ||
	     is_proto(p, NDPI_PROTOCOL_DTLS))) {
		a->flags |= FP_APP_TLS_SNI;
		copy_str(a->name, sizeof(a->name), f->host_server_name);
	} else if (is_proto(p, NDPI_PROTOCOL_HTTP)) {
		a->flags |= FP_APP_HTTP;
		copy_str(a->name, sizeof(a->name), f->host_server_name);
		if (f->http.method != NDPI_HTTP_METHOD_UNKNOWN)
			copy_str(a->http_method, sizeof(a->http_method),
				 ndpi_http_method2str(f->http.method));
		a->http_status = f->http.response_status_code;
		copy_str(a->user_agent, sizeof(a->user_agent), f->http.user_agent);
	} else if (is_proto(p, NDPI_PROTOCOL_DNS) && f->host_server_name[0]) {
		a->flags |= FP_APP_DNS;
		copy_str(a->name, sizeof(a->name), f->host_server_name);
		a->dns_qtype = f->protos.dns.query_type;
		a->dns_rcode = f->protos.dns.reply_code;
	}
	flow_state_put(d, e);
}

static void give_up(struct fp_dpi *d, struct entry *e)
{
	uint8_t guessed = 0;
	ndpi_protocol p = ndpi_detection_giveup(d->mod, e->flow, 1, &guessed);
	verdict(d, e, p, guessed);
}

void fp_dpi_packet(struct fp_dpi *d, const struct fp_pkt *p, const uint8_t *frame, uint32_t caplen,
		   uint64_t now_ms)
{
	uint8_t dir;
	struct fp_flow_key k = fp_keymap_conn_key(&p->key, &dir);
	uint64_t h = fp_key_hash(&k);
	uint32_t i = fp_keymap_find(&d->map, &k, h);
	struct entry *e;

	if (i != FP_KEYMAP_NONE) {
		e = &d->entries[i];
		e->touched_ms = now_ms;
		e->dirs_seen |= dir;
		if (e->flow == NULL)
			return; /* decided */
	} else {
		if (d->flow_free_n == 0 || (i = fp_keymap_add(&d->map, &k, h)) == FP_KEYMAP_NONE) {
			fp_counter_add(&d->st.packets_no_room, 1);
			return;
		}
		e = &d->entries[i];
		e->touched_ms = now_ms;
		e->packets = 0;
		e->used = 1;
		e->taken = 0;
		e->dirs_seen = dir;
		e->dirs_done = 0;
		e->app.flags = 0;
		e->flow =
		    (struct ndpi_flow_struct *)(d->flow_pool +
						d->flow_free[--d->flow_free_n] * d->flow_size);
		memset(e->flow, 0, d->flow_size);
		fp_counter_add(&d->st.flows_inspected, 1);
	}
	if (p->l3_off >= caplen)
		return;
	uint32_t len = caplen - p->l3_off;
	ndpi_protocol r =
	    ndpi_detection_process_packet(d->mod, e->flow, frame + p->l3_off,
					  (unsigned short)(len > 65535 ? 65535 : len), now_ms);
	e->packets++;
	fp_counter_add(&d->st.packets_inspected, 1);
	if ((r.app_protocol != NDPI_PROTOCOL_UNKNOWN ||
	     r.master_protocol != NDPI_PROTOCOL_UNKNOWN) &&
	    !ndpi_extra_dissection_possible(d->mod, e->flow))
		verdict(d, e, r, 0);
	else if (e->packets >= d->cfg.max_packets)
		give_up(d, e);
}

const struct fp_app *fp_dpi_result(struct fp_dpi *d, const struct fp_record *rec, uint64_t now_ms)
{
	uint8_t dir;
	struct fp_flow_key k = fp_keymap_conn_key(&rec->key, &dir);
	uint32_t i = fp_keymap_find(&d->map, &k, fp_key_hash(&k));
	if (i == FP_KEYMAP_NONE)
		return NULL;
	struct entry *e = &d->entries[i];
	if (e->flow) /* the record leaves before the verdict (end of input, a short flow) */
		give_up(d, e);
	e->touched_ms = now_ms;
	e->taken = 1;
	fp_counter_add(&d->st.records_with_app, 1);
	if (rec->end_reason != FP_END_ACTIVE)
		e->dirs_done |= d->cfg.biflow ? 3 : dir;
	if ((e->dirs_done & e->dirs_seen) != e->dirs_seen)
		return &e->app;
	d->out = e->app; /* the flow has gone: so does its result */
	entry_free(d, i);
	return &d->out;
}

void fp_dpi_expire(struct fp_dpi *d, uint64_t now_ms)
{
	uint32_t end = d->map.hiwater; /* entries never used are never touched */
	for (unsigned n = 0; n < SWEEP_SLICE && n < end; n++) {
		uint32_t i = d->sweep_pos < end ? d->sweep_pos : 0;
		d->sweep_pos = i + 1;
		struct entry *e = &d->entries[i];
		if (!e->used || now_ms < e->touched_ms + d->cfg.keep_ms)
			continue;
		if (!e->taken)
			fp_counter_add(&d->st.results_expired, 1);
		entry_free(d, i);
	}
}

void fp_dpi_stats_read(const struct fp_dpi *d, struct fp_dpi_stats *out)
{
	fp_counters_copy(out, &d->st, sizeof(*out));
}

#else /* no nDPI in this build */

int fp_dpi_available(void)
{
	return 0;
}

size_t fp_dpi_bytes_per_flow(void)
{
	return 0;
}

struct fp_dpi *fp_dpi_create(const struct fp_dpi_config *cfg)
{
	(void)cfg;
	fp_log(LOG_ERR, "--dpi: this build has no nDPI (install libndpi-dev and rebuild)");
	return NULL;
}

void fp_dpi_destroy(struct fp_dpi *d)
{
	(void)d;
}

void fp_dpi_packet(struct fp_dpi *d, const struct fp_pkt *p, const uint8_t *frame, uint32_t caplen,
		   uint64_t now_ms)
{
	(void)d, (void)p, (void)frame, (void)caplen, (void)now_ms;
}

const struct fp_app *fp_dpi_result(struct fp_dpi *d, const struct fp_record *rec, uint64_t now_ms)
{
	(void)d, (void)rec, (void)now_ms;
	return NULL;
}

void fp_dpi_expire(struct fp_dpi *d, uint64_t now_ms)
{
	(void)d, (void)now_ms;
}

void fp_dpi_stats_read(const struct fp_dpi *d, struct fp_dpi_stats *out)
{
	(void)d;
	memset(out, 0, sizeof(*out));
}

#endif
