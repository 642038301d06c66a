#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buildid.h"

/* Notes are 4-byte aligned, name and descriptor each padded to 4. */
#define ALIGN4(n) (((n) + 3) & ~(size_t)3)

size_t phpbpf_build_id_in_notes(const void *p, size_t len, unsigned char *id)
{
    const unsigned char *s = p;
    size_t at = 0;

    while (at + sizeof(Elf64_Nhdr) <= len) {
        Elf64_Nhdr nh;
        size_t name_at, desc_at, next;

        memcpy(&nh, s + at, sizeof(nh));
        name_at = at + sizeof(nh);
        desc_at = name_at + ALIGN4(nh.n_namesz);
        next = desc_at + ALIGN4(nh.n_descsz);
        if (desc_at > len || next > len || next <= at)
            return 0;
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(s + name_at, "GNU", 4) == 0
            && nh.n_descsz > 0 && nh.n_descsz <= PHPBPF_BUILD_ID_MAX) {
            memcpy(id, s + desc_at, nh.n_descsz);
            return nh.n_descsz;
        }
        at = next;
    }
    return 0;
}

struct find {
    const void *base;
    unsigned char *id;
    size_t len;
};

static int each_object(struct dl_phdr_info *info, size_t size, void *data)
{
    struct find *f = data;
    int i;

    (void)size;
    if ((const void *)info->dlpi_addr != f->base) {
        /* The base of a non-PIE executable is 0: compare the first
         * loaded segment's address as well. */
        for (i = 0; i < info->dlpi_phnum && info->dlpi_phdr[i].p_type != PT_LOAD; i++)
            ;
        if (i == info->dlpi_phnum
            || (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr) != f->base)
            return 0;
    }
    for (i = 0; i < info->dlpi_phnum && !f->len; i++)
        if (info->dlpi_phdr[i].p_type == PT_NOTE)
            f->len = phpbpf_build_id_in_notes((const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr),
                                              info->dlpi_phdr[i].p_memsz, f->id);
    return 1;
}

size_t phpbpf_build_id_loaded(const void *base, unsigned char *id)
{
    struct find f = { base, id, 0 };

    dl_iterate_phdr(each_object, &f);
    return f.len;
}

size_t phpbpf_build_id_file(const char *path, unsigned char *id)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    Elf64_Ehdr eh;
    size_t len = 0;
    unsigned i;

    if (fd < 0)
        return 0;
    if (pread(fd, &eh, sizeof(eh), 0) == (ssize_t)sizeof(eh) && memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0
        && eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr)) {
        for (i = 0; i < eh.e_phnum && !len; i++) {
            Elf64_Phdr ph;
            unsigned char *notes;

            if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) != (ssize_t)sizeof(ph)
                || ph.p_type != PT_NOTE || ph.p_filesz > 65536)
                continue;
            if (!(notes = malloc(ph.p_filesz ? ph.p_filesz : 1)))
                break;
            if (pread(fd, notes, ph.p_filesz, (off_t)ph.p_offset) == (ssize_t)ph.p_filesz)
                len = phpbpf_build_id_in_notes(notes, ph.p_filesz, id);
            free(notes);
        }
    }
    close(fd);
    return len;
}
