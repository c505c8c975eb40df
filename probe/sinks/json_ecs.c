/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * --json-schema ecs: a flow record as an Elastic Common Schema document (ECS 8), nested as
 * Elasticsearch maps it, so Kibana's network views, SIEM rules and Community ID pivots work on
 * the lines as they are, with no Logstash mapping.
 *
 * The mapping, and what ECS has no field for:
 * - @timestamp is the flow's end (its last packet), event.start/end the first and last packet
 *   (µs), event.duration their difference in nanoseconds, as ECS defines it.
 * - source is the flow's source (with --biflow: the initiator), destination the other end;
 *   source.bytes/packets what the source sent, destination.bytes/packets what it sent back
 *   (--biflow only: a one-way record knows nothing of the other direction), network.bytes and
 *   network.packets both together. Counters are as counted: with --sample N they are of 1
 *   packet in N, and fluxprobe.sampling_interval says N (as the IPFIX schema's samplingInterval).
 * - event.type is [connection, end] for a flow that ended (idle, FIN/RST, end of capture,
 *   evicted) and [connection] for an active-timeout report of a flow that goes on: ECS's filter
 *   for completed connections is `event.type:end`. event.reason names the end.
 * - network.direction: with --local-net (inbound, outbound, internal, external; fp_localnet.h),
 *   otherwise not written: the probe does not know which side is inside.
 * - What ECS has no field for goes under `fluxprobe.` (a custom namespace, as ECS asks): TCP
 *   flags, ToS, TTLs, end reason number, latencies, MPLS, GRE key, flow label, nDPI's id.
 * - MAC addresses in ECS's notation (uppercase, hyphens); VLAN ids and the interface id as
 *   strings (ECS keywords); network.iana_number too.
 */
#include "jsonout.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A number as an ECS keyword: a string. */
static void keyword_uint(struct fp_jline *l, const char *key, unsigned long v)
{
	char buf[24], *p = buf + sizeof(buf);
	*--p = '\0';
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fp_jl_str(l, key, p);
}

static void dns_type(struct fp_jline *l, const char *key, uint16_t t)
{
	static const struct {
		uint16_t v;
		const char *n;
	} names[] = {{1, "A"},	    {2, "NS"},	   {5, "CNAME"},   {6, "SOA"},	 {12, "PTR"},
		     {15, "MX"},    {16, "TXT"},   {28, "AAAA"},   {33, "SRV"},	 {35, "NAPTR"},
		     {43, "DS"},    {46, "RRSIG"}, {48, "DNSKEY"}, {52, "TLSA"}, {64, "SVCB"},
		     {65, "HTTPS"}, {255, "ANY"},  {257, "CAA"}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].v == t) {
			fp_jl_str(l, key, names[i].n);
			return;
		}
	char buf[24];
	snprintf(buf, sizeof(buf), "TYPE%u", t);
	fp_jl_str(l, key, buf);
}

static void dns_rcode(struct fp_jline *l, const char *key, uint8_t rc)
{
	static const char *const names[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					    "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
					    "NXRRSET", "NOTAUTH", "NOTZONE"};
	if (rc < sizeof(names) / sizeof(names[0])) {
		fp_jl_str(l, key, names[rc]);
		return;
	}
	char buf[8];
	snprintf(buf, sizeof(buf), "%u", rc);
	fp_jl_str(l, key, buf);
}

const char *fp_json_observer(void)
{
	static char host[256];
	if (!host[0]) {
		char raw[256] = "";
		if (gethostname(raw, sizeof(raw) - 1) != 0 || !raw[0])
			snprintf(raw, sizeof(raw), "unknown");
		fp_json_wire_text(host, sizeof(host), raw, 0); /* printable, as every name here */
	}
	return host;
}

/* One value in ECS's notation (its style), under `key`. */
static void ecs_value(struct fp_jsonout *j, struct fp_jline *l, const char *key,
		      const struct fp_field *f, const struct fp_field_val *v,
		      const struct fp_record *r)
{
	if (f->kind == FP_FK_UINT && (f->ecs_style & FP_ECS_KEYWORD))
		keyword_uint(l, key, (unsigned long)v->u);
	else if (f->kind == FP_FK_UINT && (f->ecs_style & FP_ECS_DNS_TYPE))
		dns_type(l, key, (uint16_t)v->u);
	else if (f->kind == FP_FK_UINT && (f->ecs_style & FP_ECS_DNS_RCODE))
		dns_rcode(l, key, (uint8_t)v->u);
	else if (f->kind == FP_FK_TIME)
		fp_jl_time(l, key, v->u, 6, &j->clock);
	else if (f->kind == FP_FK_MAC)
		fp_jl_hex(l, key, v->p, 6, '-', 1);
	else if (f->kind == FP_FK_WIRE)
		fp_jl_wire(l, key, v->s, (f->ecs_style & FP_ECS_LOWER) != 0);
	else
		fp_jl_value(j, l, key, f, v, r);
}

/*
 * Each row's place in the document, worked out once (fp_json_ecs_layout): the objects around
 * the member, outermost first, as ids (one per distinct dotted prefix) and keys, and the
 * member's own key. A line then compares ids with the objects open, closes those the member is
 * not in, opens those it is in, and writes it.
 */
int fp_json_ecs_layout(struct fp_jsonout *j)
{
	const char *prefix[FP_FIELDS_MAX]; /* object id → its dotted path (into the rows') */
	size_t prefix_len[FP_FIELDS_MAX], nprefix = 0;
	j->ecs_rows = calloc(j->nrows ? j->nrows : 1, sizeof(*j->ecs_rows));
	if (j->ecs_rows == NULL)
		return -1;
	for (size_t i = 0; i < j->nrows; i++) {
		const char *path = fp_fields[j->rows[i]].ecs;
		struct fp_ecs_row *e = &j->ecs_rows[i];
		size_t at = 0, len;
		while (path[at + (len = strcspn(path + at, "."))] == '.' &&
		       e->nobj < FP_ECS_DEPTH) {
			size_t end = at + len, id = 0;
			while (id < nprefix &&
			       !(prefix_len[id] == end && strncmp(prefix[id], path, end) == 0))
				id++;
			if (id == nprefix) {
				if (nprefix == FP_FIELDS_MAX)
					return -1;
				prefix[nprefix] = path;
				prefix_len[nprefix++] = end;
			}
			e->obj[e->nobj] = (uint16_t)id;
			e->obj_key[e->nobj] = strndup(path + at, len);
			if (e->obj_key[e->nobj++] == NULL)
				return -1;
			at = end + 1;
		}
		e->leaf = path + at;
		e->leaflen = strlen(e->leaf) + 3;
		if ((e->leaftext = malloc(e->leaflen + 1)) == NULL)
			return -1;
		snprintf(e->leaftext, e->leaflen + 1, "\"%s\":", e->leaf);
	}
	return 0;
}

void fp_json_ecs_free(struct fp_jsonout *j)
{
	for (size_t i = 0; j->ecs_rows && i < j->nrows; i++) {
		for (unsigned d = 0; d < j->ecs_rows[i].nobj; d++)
			free((void *)j->ecs_rows[i].obj_key[d]);
		free(j->ecs_rows[i].leaftext);
	}
	free(j->ecs_rows);
	j->ecs_rows = NULL;
}

/*
 * The document is written member by member in the rows' ECS order (fp_fields_order() keeps
 * each object whole), opening an object at its first member there is and closing it after its
 * last: an object none of whose members is there is not written.
 */
void fp_json_ecs(struct fp_jsonout *j, struct fp_jline *l, struct fp_field_rec *fr)
{
	uint16_t open[FP_ECS_DEPTH];
	unsigned nopen = 0;
	for (size_t i = 0; i < j->nrows; i++) {
		const struct fp_field *f = &fp_fields[j->rows[i]];
		struct fp_field_val v;
		int there = f->ecs_get	  ? f->ecs_get(fr, &v)
			    : f->rec_size ? fp_field_direct(f, fr->r, &v.u)
					  : f->get(fr, &v);
		if (!there)
			continue;
		if ((f->ecs_style & FP_ECS_NONZERO) && v.u == 0)
			continue;
		const struct fp_ecs_row *e = &j->ecs_rows[i];
		unsigned keep = 0;
		while (keep < nopen && keep < e->nobj && open[keep] == e->obj[keep])
			keep++;
		for (; nopen > keep; nopen--)
			fp_jl_close(l, '}');
		for (; nopen < e->nobj; nopen++) {
			fp_jl_open(l, e->obj_key[nopen], '{');
			open[nopen] = e->obj[nopen];
		}
		if (f->kind == FP_FK_UINT && !f->ecs_style) { /* most members: a plain number */
			fp_jl_keyed_uint(l, e->leaftext, e->leaflen, v.u);
			continue;
		}
		fp_jl_keytext(l, e->leaftext, e->leaflen);
		ecs_value(j, l, NULL, f, &v, fr->r);
	}
	for (; nopen > 0; nopen--)
		fp_jl_close(l, '}');
}
