/* Build-ids (buildid.c): the same for a loaded object and its file, read
 * from a note segment, and none from a note that lies about its size. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <elf.h>
#include <stdio.h>
#include <string.h>

#include "buildid.h"
#include "buildid_tests.h"
#include "tap.h"

void buildid_tests(void)
{
    unsigned char a[PHPBPF_BUILD_ID_MAX], b[PHPBPF_BUILD_ID_MAX];
    unsigned char notes[64] = { 0 };
    Elf64_Nhdr nh = { 4, 3, NT_GNU_BUILD_ID };
    Dl_info info;
    size_t n, m;

    ok(dladdr((void *)printf, &info) && info.dli_fbase && info.dli_fname, "dladdr finds libc");
    n = phpbpf_build_id_loaded(info.dli_fbase, a);
    m = phpbpf_build_id_file(info.dli_fname, b);
    ok(n >= 8 && n == m && memcmp(a, b, n) == 0,
       "libc's build-id, loaded and on disk, is the same (%zu bytes)", n);
    ok(phpbpf_build_id_file("/nonexistent", b) == 0 && phpbpf_build_id_loaded((void *)16, a) == 0,
       "no file, no loaded object: no build-id");

    /* Another note first, then the build-id. */
    memcpy(notes, &(Elf64_Nhdr){ 4, 4, 1 }, sizeof(nh));
    memcpy(notes + 12, "GNU", 4);
    memcpy(notes + 20, &nh, sizeof(nh));
    memcpy(notes + 32, "GNU", 4);
    memcpy(notes + 36, "\x01\x02\x03", 3);
    ok(phpbpf_build_id_in_notes(notes, 40, a) == 3 && memcmp(a, "\x01\x02\x03", 3) == 0,
       "the GNU build-id note, after another");
    ok(phpbpf_build_id_in_notes(notes, 38, a) == 0, "a note cut short is not read");
    ((Elf64_Nhdr *)(void *)(notes + 20))->n_descsz = 0xffffff00u;
    ok(phpbpf_build_id_in_notes(notes, 40, a) == 0, "nor one whose size runs past the segment");
}
