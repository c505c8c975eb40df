/* SPDX-License-Identifier: BSD-3-Clause */
/* A temporary directory for one test program: made before its tests, removed after them. */
#ifndef FP_TEST_TMPDIR_H
#define FP_TEST_TMPDIR_H

#include <stdio.h>
#include <stdlib.h>

static char dir[64];

/* cmocka group set-up and tear-down */
static int tmpdir_make(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/fp-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int tmpdir_remove(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
