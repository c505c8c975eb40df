/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink.h"

#include <stddef.h>
#include <string.h>

/* Each defined in its sink's own file. */
extern const struct fp_sink_module fp_json_module;
extern const struct fp_sink_module fp_flowdir_module;
extern const struct fp_sink_module fp_clickhouse_module;
extern const struct fp_sink_module fp_collectors_module;

/* The outputs, in the order the exporter hands each record to them and finishes them. */
const struct fp_sink_module *const fp_sink_modules[] = {
    &fp_json_module, &fp_flowdir_module, &fp_clickhouse_module, &fp_collectors_module, NULL,
};

const struct fp_sink_module *fp_sink_module_named(const char *name)
{
	for (const struct fp_sink_module *const *m = fp_sink_modules; *m; m++)
		if (strcmp((*m)->name, name) == 0)
			return *m;
	return NULL;
}

int fp_sink_modules_print_setup(const struct fp_config *cfg)
{
	int rc = 0;
	for (const struct fp_sink_module *const *m = fp_sink_modules; *m; m++)
		if ((*m)->print_setup && (*m)->print_setup(cfg, stdout) < 0)
			rc = -1;
	return rc;
}
