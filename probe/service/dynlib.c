/* SPDX-License-Identifier: BSD-3-Clause */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

int fp_dynlib_load(const char *soname, const struct fp_dynsym *syms, size_t n, char *err,
		   size_t errlen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		snprintf(err, errlen, "%s", dlerror());
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);
		if (f == NULL) {
			snprintf(err, errlen, "%s", dlerror());
			for (size_t j = 0; j < n; j++)
				memset(syms[j].slot, 0, sizeof(f));
			dlclose(h);
			return -1;
		}
		/* POSIX guarantees a function pointer survives the trip through void * */
		memcpy(syms[i].slot, &f, sizeof(f));
	}
	return 0;
}
