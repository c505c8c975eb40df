/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Libraries loaded when an option needs them rather than linked: libcurl (--clickhouse) and
 * libmicrohttpd (--metrics) with what they pull in (TLS, HTTP/2, Kerberos, LDAP...) were most of
 * what every start of fluxprobe spent mapping and relocating libraries, for the few runs that use
 * them. Their headers still give the types and constants; the functions come from a table.
 */
#ifndef FP_DYNLIB_H
#define FP_DYNLIB_H

#include <stddef.h>

struct fp_dynsym {
	const char *name;
	void *slot; /* address of the function pointer to set */
};

/*
 * dlopen `soname` and set every slot of `syms`. 0 when all were found; -1 with the loader's words
 * in `err` (all slots left NULL, the library closed). Call once (pthread_once where threads race).
 */
int fp_dynlib_load(const char *soname, const struct fp_dynsym *syms, size_t n, char *err,
		   size_t errlen);

#endif
