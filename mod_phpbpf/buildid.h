/* The GNU build-id of an ELF object, loaded or on disk: what tells whether
 * the libphp httpd runs is the file now at its path.  A device and inode do
 * not: on overlayfs, a 6.1 kernel gives the mapping the lower layer's and a
 * stat() of the path the overlay's (issue 22), so the same file looked
 * replaced.  Pure C, unit-tested. */
#ifndef PHPBPF_BUILDID_H
#define PHPBPF_BUILDID_H

#include <stddef.h>

#define PHPBPF_BUILD_ID_MAX 64

/* The build-id among the notes of len bytes at p (a PT_NOTE segment):
 * its length, copied into id, or 0 if there is none. */
size_t phpbpf_build_id_in_notes(const void *p, size_t len, unsigned char *id);

/* The build-id of the loaded object whose base address is base (dladdr's
 * dli_fbase): 0 if none. */
size_t phpbpf_build_id_loaded(const void *base, unsigned char *id);

/* The build-id of the ELF64 file at path: 0 if none, or not readable. */
size_t phpbpf_build_id_file(const char *path, unsigned char *id);

#endif
