/* sp/version.h - the installed sp's version. */
#ifndef SP_VERSION_H
#define SP_VERSION_H

/* "MAJOR.MINOR.PATCH" of the library the program runs with (libsp.so and
 * libsp_runtime.so each carry it). */
const char *sp_version(void);

#endif
