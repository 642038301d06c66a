/* libphp's ELF, read in one place: its dynamic symbols (what a stripped
 * libphp keeps), its USDT notes, whether a function begins with endbr64,
 * and whether its PHP is the one whose structure offsets this build
 * reads (bpf/php_layout.h, from php8.2-dev's headers). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* memmem */
#endif
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "libphp_elf.h"
#include "php_layout.h"

struct elf_file {
    int fd;
    Elf *elf;
};

static int elf_open(struct elf_file *f, const char *path)
{
    elf_version(EV_CURRENT);
    f->fd = open(path, O_RDONLY | O_CLOEXEC);
    f->elf = f->fd >= 0 ? elf_begin(f->fd, ELF_C_READ, NULL) : NULL;
    return f->elf ? 0 : -1;
}

static void elf_close(struct elf_file *f)
{
    if (f->elf)
        elf_end(f->elf);
    if (f->fd >= 0)
        close(f->fd);
}

/* A symbol of the dynamic symbol table: what a stripped libphp keeps. */
static int dynsym(struct elf_file *f, const char *name, GElf_Sym *out)
{
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
        GElf_Shdr sh;
        Elf_Data *data;
        size_t i, n;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
            continue;
        data = elf_getdata(scn, NULL);
        n = sh.sh_size / sh.sh_entsize;
        for (i = 0; data && i < n; i++) {
            const char *s;

            if (!gelf_getsym(data, (int)i, out))
                continue;
            s = elf_strptr(f->elf, sh.sh_link, out->st_name);
            if (s && strcmp(s, name) == 0 && out->st_shndx != SHN_UNDEF)
                return 0;
        }
    }
    return -1;
}

/* The text in a loaded, allocated section of the file. */
static int has_text(struct elf_file *f, const char *text)
{
    Elf_Scn *scn = NULL;
    size_t n = strlen(text);

    while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
        GElf_Shdr sh;
        Elf_Data *data;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS || !(sh.sh_flags & SHF_ALLOC)
            || (sh.sh_flags & SHF_EXECINSTR))
            continue;
        data = elf_getdata(scn, NULL);
        if (data && data->d_buf && data->d_size >= n
            && memmem(data->d_buf, data->d_size, text, n + 1))
            return 1;
    }
    return 0;
}

/* vaddr - offset of the segment mapped from file offset 0. */
static int first_load(struct elf_file *f, uint64_t *vaddr)
{
    size_t i, n;

    if (elf_getphdrnum(f->elf, &n) != 0)
        return -1;
    for (i = 0; i < n; i++) {
        GElf_Phdr ph;

        if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD && ph.p_offset == 0) {
            *vaddr = ph.p_vaddr;
            return 0;
        }
    }
    return -1;
}

/* Where httpd has the file's offset 0 mapped: in every child, the same. */
static int load_address(const char *path, pid_t pid, uint64_t *start)
{
    char maps[64], line[4096];
    struct stat st;
    FILE *fp;
    int found = 0;

    if (stat(path, &st) != 0)
        return -1;
    snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)pid);
    if (!(fp = fopen(maps, "re")))
        return -1;
    while (!found && fgets(line, sizeof(line), fp)) {
        unsigned long lo, hi, off, ino;
        unsigned maj, min;

        if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu", &lo, &hi, &off, &maj, &min, &ino) == 6
            && off == 0 && ino == st.st_ino && maj == major(st.st_dev) && min == minor(st.st_dev)) {
            *start = lo;
            found = 1;
        }
    }
    fclose(fp);
    return found ? 0 : -1;
}

static uint64_t runtime(uint64_t base, uint64_t vaddr, const GElf_Sym *sym)
{
    return base - vaddr + sym->st_value;
}

/* Whether libphp exports a function: a stripped one still has them all in
 * its dynamic symbol table, which is what the probes need. */
static int exports(struct elf_file *f, const char *name)
{
    GElf_Sym sym;

    return dynsym(f, name, &sym) == 0 && GELF_ST_TYPE(sym.st_info) == STT_FUNC;
}

/* Whether an exported function begins with endbr64 (a PHP built with
 * -fcf-protection): the kernel cannot emulate it, and single-steps it out
 * of line, which costs about 10 us a hit here against 0.5 us for a probe
 * on the push that follows (bench, "Probe cost"). */
int phpbpf_libphp_endbr(const char *library, const char *func)
{
    static const unsigned char endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
    struct elf_file f = { -1, NULL };
    unsigned char insn[4];
    GElf_Sym sym;
    size_t i, n;
    int yes = 0;

    if (elf_open(&f, library) != 0 || dynsym(&f, func, &sym) != 0 || elf_getphdrnum(f.elf, &n) != 0) {
        elf_close(&f);
        return 0;
    }
    for (i = 0; i < n; i++) {
        GElf_Phdr ph;

        if (gelf_getphdr(f.elf, (int)i, &ph) && ph.p_type == PT_LOAD && (ph.p_flags & PF_X)
            && sym.st_value >= ph.p_vaddr && sym.st_value + 4 <= ph.p_vaddr + ph.p_filesz) {
            yes = pread(f.fd, insn, 4, (off_t)(sym.st_value - ph.p_vaddr + ph.p_offset)) == 4
                  && memcmp(insn, endbr64, 4) == 0;
            break;
        }
    }
    elf_close(&f);
    return yes;
}

void phpbpf_libphp_inspect(const char *library, pid_t httpd_pid, uint64_t base,
                           struct phpbpf_libphp *out)
{
    static char why[512];
    struct elf_file f = { -1, NULL };
    GElf_Sym egs, sgs, exs;
    uint64_t vaddr = 0;
    int has_sg;

    memset(out, 0, sizeof(*out));
    if (elf_open(&f, library) != 0) {
        snprintf(why, sizeof(why), "cannot read %s as ELF", library);
        goto out;
    }
    out->fn_startup = exports(&f, "php_request_startup");
    out->fn_shutdown = exports(&f, "php_request_shutdown");
    out->fn_compile = exports(&f, "compile_file");
    out->fn_throw = exports(&f, "zend_throw_exception_internal");
    if (PHPBPF_PHP_ZTS) {
        snprintf(why, sizeof(why), "this build of mod_phpbpf is for a thread-safe (ZTS) PHP, "
                 "which it cannot read");
        goto out;
    }
    if (dynsym(&f, "executor_globals", &egs) != 0) {
        snprintf(why, sizeof(why), "libphp exports no executor_globals (a thread-safe PHP?)");
        goto out;
    }
    /* The sizes of both globals are a cheap check that the offsets of the
     * headers this build was made with are this libphp's. */
    has_sg = dynsym(&f, "sapi_globals", &sgs) == 0;
    if (egs.st_size != PHPBPF_EG_SIZE || (has_sg && sgs.st_size != PHPBPF_SG_SIZE)) {
        int eg_bad = egs.st_size != PHPBPF_EG_SIZE;

        snprintf(why, sizeof(why), "libphp's %s is %lu bytes, not the %d of the PHP %s "
                 "headers mod_phpbpf was built with: another PHP version",
                 eg_bad ? "executor_globals" : "sapi_globals",
                 (unsigned long)(eg_bad ? egs.st_size : sgs.st_size),
                 eg_bad ? PHPBPF_EG_SIZE : PHPBPF_SG_SIZE, PHPBPF_PHP_VERSION);
        goto out;
    }
    if (!has_text(&f, PHPBPF_PHP_BUILD_ID)) {
        snprintf(why, sizeof(why), "libphp is not the PHP of the headers mod_phpbpf was built with "
                 "(no module build id \"%s\" in it)", PHPBPF_PHP_BUILD_ID);
        goto out;
    }
    if (first_load(&f, &vaddr) != 0 || (!base && load_address(library, httpd_pid, &base) != 0)) {
        snprintf(why, sizeof(why), "cannot find where httpd pid %d has %s loaded",
                 (int)httpd_pid, library);
        goto out;
    }
    if (base == PHPBPF_LIBPHP_FILE_ADDRS)
        base = vaddr;
    out->eg = runtime(base, vaddr, &egs);
    if (has_sg)
        out->sg = runtime(base, vaddr, &sgs);
    if (dynsym(&f, "execute_ex", &exs) == 0) {
        out->ex_lo = runtime(base, vaddr, &exs);
        out->ex_hi = out->ex_lo + exs.st_size;
    }
    elf_close(&f);
    return;
out:
    elf_close(&f);
    out->layout_why = why;
}

/* Whether the file has the USDT note php:probe.  libbpf's own error for
 * a library without notes is a debug-level line about "no USDT notes";
 * the helper checks first so the operator reads a real reason.  -1: the
 * file cannot be read as ELF. */
int phpbpf_libphp_has_usdt(const char *library, const char *probe)
{
    uint64_t pc;

    return phpbpf_libphp_usdt_pc(library, probe, &pc);
}

int phpbpf_libphp_usdt_pc(const char *library, const char *probe, uint64_t *pc)
{
    struct elf_file f = { -1, NULL };
    Elf_Scn *scn = NULL;
    size_t shstrndx;
    int found = 0;

    if (elf_open(&f, library) != 0 || elf_getshdrstrndx(f.elf, &shstrndx) != 0) {
        elf_close(&f);
        return -1;
    }
    while (!found && (scn = elf_nextscn(f.elf, scn)) != NULL) {
        GElf_Shdr sh;
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off;
        Elf_Data *data;
        const char *name;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        name = elf_strptr(f.elf, shstrndx, sh.sh_name);
        if (!name || strcmp(name, ".note.stapsdt") != 0)
            continue;
        data = elf_getdata(scn, NULL);
        while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
            /* NT_STAPSDT: pc, base, semaphore, then "provider\0name\0args". */
            const char *desc = (const char *)data->d_buf + desc_off;
            size_t addrs = 3 * 8, plen;

            if (nh.n_type != 3 || nh.n_descsz <= addrs)
                continue;
            plen = strnlen(desc + addrs, nh.n_descsz - addrs);
            if (strcmp(desc + addrs, "php") == 0 && addrs + plen + 1 < nh.n_descsz
                && strncmp(desc + addrs + plen + 1, probe,
                           nh.n_descsz - addrs - plen - 1) == 0) {
                memcpy(pc, desc, sizeof(*pc));
                found = 1;
                break;
            }
        }
    }
    elf_close(&f);
    return found;
}
