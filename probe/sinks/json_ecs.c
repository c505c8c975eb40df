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
 * - network.direction: the probe does not know which side is inside, so it is not written.
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
	char buf[24];
	snprintf(buf, sizeof(buf), "%lu", v);
	fp_jl_str(l, key, buf);
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

#define ECS_DEPTH 8

/* The objects open around the last member written: the path's segments. */
struct ecs_open {
	const char *path; /* of the member that opened the innermost one */
	size_t end[ECS_DEPTH];
	int n;
};

/* Close what `path` is not inside of, open what it is inside of; the member's own key, last. */
static const char *ecs_enter(struct fp_jline *l, struct ecs_open *o, const char *path, char *key,
			     size_t keylen)
{
	size_t start[ECS_DEPTH + 1], ends[ECS_DEPTH + 1];
	int n = 0;
	for (size_t at = 0;;) {
		size_t len = strcspn(path + at, ".");
		start[n] = at;
		ends[n] = at + len;
		n++;
		if (!path[at + len] || n == ECS_DEPTH + 1)
			break;
		at += len + 1;
	}
	/* objects: segments 0 .. n-2; the same while the text up to their end is the same */
	int keep = 0;
	while (keep < o->n && keep < n - 1 && o->end[keep] == ends[keep] &&
	       strncmp(o->path, path, ends[keep]) == 0)
		keep++;
	while (o->n > keep) {
		fp_jl_close(l, '}');
		o->n--;
	}
	for (int i = keep; i < n - 1; i++) {
		size_t len = ends[i] - start[i];
		char seg[64];
		snprintf(seg, sizeof(seg), "%.*s", (int)len, path + start[i]);
		fp_jl_open(l, seg, '{');
		o->end[o->n++] = ends[i];
	}
	o->path = path;
	snprintf(key, keylen, "%s", path + start[n - 1]);
	return key;
}

/*
 * The document is written member by member in the rows' ECS order (fp_fields_order() keeps
 * each object whole), opening an object at its first member there is and closing it after its
 * last: an object none of whose members is there is not written.
 */
void fp_json_ecs(struct fp_jsonout *j, struct fp_jline *l, struct fp_field_rec *fr)
{
	struct ecs_open o = {.path = ""};
	for (size_t i = 0; i < j->nrows; i++) {
		const struct fp_field *f = &fp_fields[j->rows[i]];
		struct fp_field_val v;
		if (!(f->ecs_get ? f->ecs_get : f->get)(fr, &v))
			continue;
		if ((f->ecs_style & FP_ECS_NONZERO) && v.u == 0)
			continue;
		char key[64];
		ecs_enter(l, &o, f->ecs, key, sizeof(key));
		ecs_value(j, l, key, f, &v, fr->r);
	}
	while (o.n-- > 0)
		fp_jl_close(l, '}');
}
