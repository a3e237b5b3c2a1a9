/* version.c - the version string both shared libraries report. */
#include "sp/version.h"

const char *sp_version(void) { return SP_VERSION; }
