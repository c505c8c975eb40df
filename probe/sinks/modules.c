/* SPDX-License-Identifier: BSD-3-Clause */
#include "sink.h"

#include <stddef.h>

/* The outputs, in the order the exporter hands each record to them and finishes them. */
const struct fp_sink_module *const fp_sink_modules[] = {
    &fp_json_module, &fp_flowdir_module, &fp_clickhouse_module, &fp_collectors_module, NULL,
};
