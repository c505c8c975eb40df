/* SPDX-License-Identifier: BSD-3-Clause */
/* What every sink shares: the remedy that a loss's cause calls for. */
#include "sink.h"

#include <errno.h>
#include <stddef.h>

const char *fp_sink_remedy(int err)
{
	switch (err) {
	case ENOSPC:
		return "its file system is full: free space there (--flow-dir-max and "
		       "--pcap-dir-max bound what fluxprobe keeps)";
	case EDQUOT:
		return "the user's disk quota is used up: raise it or free space";
	case EACCES:
	case EPERM:
		return "fluxprobe may not write there: make it writable by the user fluxprobe runs "
		       "as (--user), or choose another path";
	case EROFS:
		return "the file system is mounted read-only: choose another path";
	case EPIPE:
		return "the reader closed the pipe, and the run ended then: keep the reader "
		       "reading, or write to a file";
	case EIO:
		return "the device reports I/O errors: check the disk (dmesg)";
	default:
		return NULL;
	}
}
