/* Where to probe PHP's mysqlnd for SQL: mysqlnd_conn_data::query (what
 * mysqli_query() and PDO::query() come to) and mysqlnd_stmt::prepare and
 * ::execute.  They are static functions, so mysqlnd.so names none of
 * them; what it exports are its method tables, whose slots the loader
 * fills from relocations.  A slot's relocation, at the table's address
 * plus the slot's offset (bpf/php_layout.h, offsetof() on php8.2-dev's
 * headers), says where the function is.
 *
 * The stmt table is not exported.  Its free_parameter_bind slot holds the
 * exported mysqlnd_mysqlnd_stmt_free_parameter_bind_pub, through an
 * R_X86_64_64 relocation against that symbol: the table is that slot's
 * address less the slot's offset. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mysqlnd_elf.h"
#include "php_layout.h"

#define CONN_DATA_TABLE "mysqlnd_mysqlnd_conn_data_methods"
#define STMT_ANCHOR     "mysqlnd_mysqlnd_stmt_free_parameter_bind_pub"

/* A relocation that puts an address of this file in a pointer. */
struct reloc {
    uint64_t where;             /* the slot's vaddr */
    uint64_t value;             /* the vaddr the loader writes there, less the load bias */
    const char *sym;            /* R_X86_64_64's symbol; NULL for R_X86_64_RELATIVE */
};

struct mysqlnd_elf {
    const char *path;
    int fd;
    Elf *elf;
    struct reloc *rel;
    size_t nrel;
    char *why;                  /* the result's why[] */
    size_t whysize;
    unsigned *stepped;          /* the result's stepped */
};

/* Adds a reason to out->why, the file's name first. */
static void miss(struct mysqlnd_elf *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void miss(struct mysqlnd_elf *f, const char *fmt, ...)
{
    char *why = f->why;
    size_t len = strlen(why);
    va_list ap;

    if (len + 3 >= f->whysize)
        return;
    if (len)
        snprintf(why + len, f->whysize - len, "; ");
    else
        snprintf(why, f->whysize, "%s: ", f->path);
    len = strlen(why);
    va_start(ap, fmt);
    vsnprintf(why + len, f->whysize - len, fmt, ap);
    va_end(ap);
}

/* A defined symbol of the dynamic symbol table. */
static int dynsym(struct mysqlnd_elf *f, const char *name, GElf_Sym *out)
{
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
        GElf_Shdr sh;
        Elf_Data *data;
        size_t i, n;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
            continue;
        data = elf_getdata(scn, NULL);
        n = data ? data->d_size / sh.sh_entsize : 0;
        for (i = 0; i < n; i++) {
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

/* Every R_X86_64_RELATIVE, and every R_X86_64_64 against a symbol this
 * file defines (a function elsewhere is no function to probe here). */
static int load_relocs(struct mysqlnd_elf *f)
{
    Elf_Scn *scn = NULL;

    while ((scn = elf_nextscn(f->elf, scn)) != NULL) {
        Elf_Data *data, *syms = NULL;
        Elf_Scn *symscn;
        GElf_Shdr sh, symsh;
        struct reloc *grown;
        size_t i, n;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !sh.sh_entsize
            || !(data = elf_getdata(scn, NULL)) || !(n = data->d_size / sh.sh_entsize))
            continue;
        if ((symscn = elf_getscn(f->elf, sh.sh_link)) && gelf_getshdr(symscn, &symsh))
            syms = elf_getdata(symscn, NULL);
        if (!(grown = realloc(f->rel, (f->nrel + n) * sizeof(*f->rel))))
            return -1;
        f->rel = grown;
        for (i = 0; i < n; i++) {
            struct reloc *r = &f->rel[f->nrel];
            GElf_Rela ra;
            GElf_Sym s;

            if (!gelf_getrela(data, (int)i, &ra))
                continue;
            r->where = ra.r_offset;
            r->sym = NULL;
            if (GELF_R_TYPE(ra.r_info) == R_X86_64_RELATIVE) {
                r->value = (uint64_t)ra.r_addend;
            } else if (GELF_R_TYPE(ra.r_info) == R_X86_64_64 && syms
                       && gelf_getsym(syms, (int)GELF_R_SYM(ra.r_info), &s)
                       && s.st_shndx != SHN_UNDEF) {
                r->value = s.st_value + (uint64_t)ra.r_addend;
                r->sym = elf_strptr(f->elf, symsh.sh_link, s.st_name);
            } else {
                continue;
            }
            f->nrel++;
        }
    }
    return 0;
}

/* The function a table's slot at vaddr WHERE points to. */
static int slot(struct mysqlnd_elf *f, uint64_t where, uint64_t *func)
{
    size_t i;

    for (i = 0; i < f->nrel; i++)
        if (f->rel[i].where == where) {
            *func = f->rel[i].value;
            return 0;
        }
    return -1;
}

size_t phpbpf_mysqlnd_prologue(const unsigned char *c, size_t n, int *push)
{
    static const unsigned char endbr64[4] = { 0xf3, 0x0f, 0x1e, 0xfa };
    static const unsigned char test_rdi[3] = { 0x48, 0x85, 0xff };
    size_t at = 0;

    /* -fcf-protection: the kernel cannot emulate endbr64, it single-steps
     * it out of line (about 11 us a hit against 1 us for a push). */
    if (n >= 4 && memcmp(c, endbr64, 4) == 0)
        at = 4;
    /* `if (!stmt) return FAIL;` first, as gcc compiles stmt::prepare: a
     * test and a je are single-stepped too.  Past them, the probe misses
     * the calls with a NULL first argument, which send no query. */
    if (n - at >= 3 && memcmp(c + at, test_rdi, 3) == 0) {
        if (n - at >= 5 && c[at + 3] == 0x74)
            at += 5;                                    /* je rel8 */
        else if (n - at >= 9 && c[at + 3] == 0x0f && c[at + 4] == 0x84)
            at += 9;                                    /* je rel32 */
    }
    /* push %r64 (0x50-0x57), push %r8-%r15 (REX.B 0x41, then 0x50-0x57). */
    *push = (n > at && c[at] >= 0x50 && c[at] <= 0x57)
            || (n > at + 1 && c[at] == 0x41 && c[at + 1] >= 0x50 && c[at + 1] <= 0x57);
    return at;
}

/* The file offset to probe the function at vaddr FUNC, through the
 * executable PT_LOAD that holds it, and whether that is a push. */
static int probe_at(struct mysqlnd_elf *f, const char *name, uint64_t func, uint64_t *off,
                    unsigned stepped_bit)
{
    size_t i, n;

    if (elf_getphdrnum(f->elf, &n) != 0)
        n = 0;
    for (i = 0; i < n; i++) {
        unsigned char code[16];
        uint64_t in, at;
        ssize_t got;
        size_t skip;
        GElf_Phdr ph;
        int push;

        if (!gelf_getphdr(f->elf, (int)i, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)
            || func < ph.p_vaddr || (in = func - ph.p_vaddr) >= ph.p_filesz)
            continue;
        at = ph.p_offset + in;
        got = pread(f->fd, code, ph.p_filesz - in < sizeof(code) ? ph.p_filesz - in : sizeof(code),
                    (off_t)at);
        if (got <= 0) {
            miss(f, "cannot read %s's code at offset 0x%llx", name, (unsigned long long)at);
            return -1;
        }
        skip = phpbpf_mysqlnd_prologue(code, (size_t)got, &push);
        *off = at + skip;
        if (!push)
            *f->stepped |= stepped_bit;
        return 0;
    }
    miss(f, "%s at 0x%llx is in no executable segment", name, (unsigned long long)func);
    return -1;
}

/* The stmt table: a slot holding STMT_ANCHOR whose table also has
 * prepare and execute in theirs. */
static int stmt_table(struct mysqlnd_elf *f, uint64_t *prepare, uint64_t *execute)
{
    size_t i;

    for (i = 0; i < f->nrel; i++) {
        const struct reloc *r = &f->rel[i];
        uint64_t base = r->where - PHPBPF_MYSQLND_STMT_FREE_PARAMETER_BIND;

        if (r->sym && strcmp(r->sym, STMT_ANCHOR) == 0
            && r->where >= PHPBPF_MYSQLND_STMT_FREE_PARAMETER_BIND
            && slot(f, base + PHPBPF_MYSQLND_STMT_PREPARE, prepare) == 0
            && slot(f, base + PHPBPF_MYSQLND_STMT_EXECUTE, execute) == 0)
            return 0;
    }
    return -1;
}

/* The file opened and checked to be x86_64 ELF: 0, or -1 with why. */
static int elf_open(struct mysqlnd_elf *f)
{
    GElf_Ehdr eh;
    size_t shnum;

    elf_version(EV_CURRENT);
    if ((f->fd = open(f->path, O_RDONLY | O_CLOEXEC)) < 0) {
        miss(f, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (!(f->elf = elf_begin(f->fd, ELF_C_READ, NULL)) || elf_kind(f->elf) != ELF_K_ELF
        || !gelf_getehdr(f->elf, &eh)) {
        miss(f, "not an ELF file");
        return -1;
    }
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
        miss(f, "not x86_64, the only code whose probe points are known");
        return -1;
    }
    /* libelf reads no section header table that runs past the file. */
    if (elf_getshdrnum(f->elf, &shnum) != 0 || shnum == 0) {
        miss(f, "no section headers: a file cut short?");
        return -1;
    }
    return 0;
}

static void elf_close(struct mysqlnd_elf *f)
{
    free(f->rel);
    if (f->elf)
        elf_end(f->elf);
    if (f->fd >= 0)
        close(f->fd);
}

int phpbpf_mysqlnd_inspect(const char *path, struct phpbpf_mysqlnd *out)
{
    struct mysqlnd_elf f = { path, -1, NULL, NULL, 0, out->why, sizeof(out->why), &out->stepped };
    uint64_t query, prepare, execute;
    GElf_Sym table;

    memset(out, 0, sizeof(*out));
    if (elf_open(&f) != 0)
        goto out;
    if (dynsym(&f, CONN_DATA_TABLE, &table) != 0) {
        miss(&f, "exports no %s: not PHP's mysqlnd", CONN_DATA_TABLE);
        goto out;
    }
    /* The cheap check that the slots' offsets are this mysqlnd's. */
    if (table.st_size != PHPBPF_MYSQLND_CONN_DATA_METHODS_SIZE) {
        miss(&f, "mysqlnd.so's method table is not the layout of PHP %s's headers "
             "(%llu bytes, not %d)", PHPBPF_PHP_VERSION, (unsigned long long)table.st_size,
             PHPBPF_MYSQLND_CONN_DATA_METHODS_SIZE);
        goto out;
    }
    if (load_relocs(&f) != 0) {
        miss(&f, "out of memory reading its relocations");
        goto out;
    }
    if (slot(&f, table.st_value + PHPBPF_MYSQLND_CONN_QUERY, &query) != 0)
        miss(&f, "no relocation fills mysqlnd_conn_data's query slot");
    else
        probe_at(&f, "mysqlnd_conn_data::query", query, &out->query, PHPBPF_MYSQLND_STEPPED_QUERY);
    if (stmt_table(&f, &prepare, &execute) != 0) {
        miss(&f, "no mysqlnd_stmt method table (found by its slot of %s)", STMT_ANCHOR);
    } else {
        probe_at(&f, "mysqlnd_stmt::prepare", prepare, &out->stmt_prepare,
                 PHPBPF_MYSQLND_STEPPED_PREPARE);
        probe_at(&f, "mysqlnd_stmt::execute", execute, &out->stmt_execute,
                 PHPBPF_MYSQLND_STEPPED_EXECUTE);
    }
out:
    elf_close(&f);
    return out->query && out->stmt_prepare && out->stmt_execute ? 0 : -1;
}

/* libpq exports what it runs statements with; its PGresult is opaque, but
 * PQresultStatus() reads the status from it in one instruction, after a
 * NULL check: `test %rdi,%rdi; je; mov disp8(%rdi),%eax` (after an
 * endbr64 where the build has them).  The displacement read there is the
 * field's offset, whatever libpq version this is. */
uint32_t phpbpf_libpq_status_offset(const unsigned char *c, size_t n)
{
    size_t i = 0;

    if (n >= 4 && c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa)
        i = 4;
    if (n < i + 8 || c[i] != 0x48 || c[i + 1] != 0x85 || c[i + 2] != 0xff || c[i + 3] != 0x74)
        return 0;
    i += 5;
    if (c[i] == 0x8b && c[i + 1] == 0x47)               /* mov disp8(%rdi),%eax */
        return c[i + 2];
    if (n >= i + 6 && c[i] == 0x8b && c[i + 1] == 0x87)  /* mov disp32(%rdi),%eax */
        return (uint32_t)c[i + 2] | (uint32_t)c[i + 3] << 8 | (uint32_t)c[i + 4] << 16
               | (uint32_t)c[i + 5] << 24;
    return 0;
}

int phpbpf_libpq_inspect(const char *path, struct phpbpf_libpq *out)
{
    static const char *const names[PHPBPF_LIBPQ_FUNCS] = PHPBPF_LIBPQ_NAMES;
    struct mysqlnd_elf f = { path, -1, NULL, NULL, 0, out->why, sizeof(out->why), &out->stepped };
    GElf_Sym sym;
    unsigned i;

    memset(out, 0, sizeof(*out));
    if (elf_open(&f) != 0)
        goto out;
    for (i = 0; i < PHPBPF_LIBPQ_FUNCS; i++) {
        if (dynsym(&f, names[i], &sym) != 0 || ELF64_ST_TYPE(sym.st_info) != STT_FUNC)
            miss(&f, "exports no %s: not libpq", names[i]);
        else
            probe_at(&f, names[i], sym.st_value, &out->off[i], 1u << i);
    }
    /* The status: read from PQresultStatus's own code. */
    if (dynsym(&f, "PQresultStatus", &sym) == 0) {
        size_t k, n;

        if (elf_getphdrnum(f.elf, &n) != 0)
            n = 0;
        for (k = 0; k < n; k++) {
            unsigned char code[16];
            GElf_Phdr ph;
            ssize_t got;

            if (!gelf_getphdr(f.elf, (int)k, &ph) || ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)
                || sym.st_value < ph.p_vaddr || sym.st_value - ph.p_vaddr >= ph.p_filesz)
                continue;
            got = pread(f.fd, code, sizeof(code), (off_t)(ph.p_offset + sym.st_value - ph.p_vaddr));
            if (got > 0)
                out->status_off = phpbpf_libpq_status_offset(code, (size_t)got);
            break;
        }
    }
out:
    elf_close(&f);
    for (i = 0; i < PHPBPF_LIBPQ_FUNCS; i++)
        if (!out->off[i])
            return -1;
    return 0;
}
