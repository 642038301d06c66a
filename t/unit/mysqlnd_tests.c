/* mysqlnd.so's probe points (helper/mysqlnd_elf.c): found in the real
 * mysqlnd.so of php8.2-mysql, a test dependency, so its absence fails;
 * refused, with a reason, in what is not it or is cut or altered. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mysqlnd_elf.h"
#include "mysqlnd_tests.h"
#include "php_layout.h"
#include "tap.h"

#define MYSQLND_SO "/usr/lib/php/20220829/mysqlnd.so"

static int is_push(const unsigned char *c)
{
    return (c[0] >= 0x50 && c[0] <= 0x57) || (c[0] == 0x41 && c[1] >= 0x50 && c[1] <= 0x57);
}

/* The whole file, or NULL. */
static unsigned char *slurp(const char *path, size_t *size)
{
    unsigned char *buf = NULL;
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 && (buf = malloc((size_t)st.st_size))
        && read(fd, buf, (size_t)st.st_size) != st.st_size) {
        free(buf);
        buf = NULL;
    }
    *size = buf ? (size_t)st.st_size : 0;
    if (fd >= 0)
        close(fd);
    return buf;
}

/* Writes N bytes to a new temporary file: its name, in NAME. */
static int spill(char *name, size_t len, const void *data, size_t n)
{
    int fd;

    snprintf(name, len, "/tmp/phpbpf-mysqlnd-XXXXXX");
    if ((fd = mkstemp(name)) < 0)
        return -1;
    if (write(fd, data, n) != (ssize_t)n) {
        close(fd);
        unlink(name);
        return -1;
    }
    close(fd);
    return 0;
}

/* The dynamic symbol NAME of an ELF64 image in memory, for altering it. */
static Elf64_Sym *image_dynsym(unsigned char *img, size_t size, const char *name)
{
    Elf64_Ehdr *eh = (Elf64_Ehdr *)(void *)img;
    size_t i, j;

    if (size < sizeof(*eh) || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        return NULL;
    for (i = 0; i < eh->e_shnum; i++) {
        Elf64_Shdr *sh = (Elf64_Shdr *)(void *)(img + eh->e_shoff) + i;
        Elf64_Shdr *str = (Elf64_Shdr *)(void *)(img + eh->e_shoff) + sh->sh_link;

        if (sh->sh_type != SHT_DYNSYM || sh->sh_link >= eh->e_shnum)
            continue;
        for (j = 0; j < sh->sh_size / sizeof(Elf64_Sym); j++) {
            Elf64_Sym *s = (Elf64_Sym *)(void *)(img + sh->sh_offset) + j;

            if (strcmp((char *)img + str->sh_offset + s->st_name, name) == 0)
                return s;
        }
    }
    return NULL;
}

static void test_prologue(void)
{
    static const struct {
        const char *what;
        unsigned char code[12];
        size_t n, skip;
        int push;
    } c[] = {
        { "push %rbx", { 0x53 }, 1, 0, 1 },
        { "endbr64, push %r15", { 0xf3, 0x0f, 0x1e, 0xfa, 0x41, 0x57 }, 6, 4, 1 },
        { "test %rdi,%rdi, je rel32, push %r15",
          { 0x48, 0x85, 0xff, 0x0f, 0x84, 0x1f, 0x02, 0x00, 0x00, 0x41, 0x57 }, 11, 9, 1 },
        { "endbr64, test, je rel8, push %rbp",
          { 0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0x74, 0x05, 0x55 }, 10, 9, 1 },
        { "a test without a je is not skipped", { 0x48, 0x85, 0xff, 0x48, 0x89, 0xfb }, 6, 0, 0 },
        { "mov is single-stepped", { 0x48, 0x8b, 0x87, 0x80, 0x04, 0x00, 0x00 }, 7, 0, 0 },
        { "a je cut short", { 0x48, 0x85, 0xff, 0x0f, 0x84, 0x1f }, 6, 0, 0 },
        { "a REX prefix alone", { 0x41 }, 1, 0, 0 },
        { "nothing", { 0 }, 0, 0, 0 },
    };
    unsigned i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        int push = -1;
        size_t skip = phpbpf_mysqlnd_prologue(c[i].code, c[i].n, &push);

        ok(skip == c[i].skip && push == c[i].push, "prologue: %s: skip %zu, %s (got %zu, %d)",
           c[i].what, c[i].skip, c[i].push ? "a push" : "stepped", skip, push);
    }
}

static void test_real(void)
{
    static const unsigned char je32[5] = { 0x48, 0x85, 0xff, 0x0f, 0x84 };
    static const unsigned char je8[4] = { 0x48, 0x85, 0xff, 0x74 };
    struct phpbpf_mysqlnd m;
    unsigned char *img;
    size_t size;
    int rc;

    ok(access(MYSQLND_SO, R_OK) == 0, "%s is there (php8.2-mysql, a test dependency)", MYSQLND_SO);
    rc = phpbpf_mysqlnd_inspect(MYSQLND_SO, &m);
    ok(rc == 0 && m.why[0] == '\0', "query, prepare and execute found in mysqlnd.so (why: %s)",
       m.why);
    ok(m.stepped == 0, "all three probes are on a push (stepped %#x)", m.stepped);
    img = slurp(MYSQLND_SO, &size);
    ok(m.query && m.query + 2 <= size && is_push(img + m.query),
       "query's probe at offset %#llx is a push", (unsigned long long)m.query);
    ok(m.stmt_execute && m.stmt_execute + 2 <= size && is_push(img + m.stmt_execute),
       "execute's probe at offset %#llx is a push", (unsigned long long)m.stmt_execute);
    ok(m.stmt_prepare && m.stmt_prepare + 2 <= size && is_push(img + m.stmt_prepare),
       "prepare's probe at offset %#llx is a push", (unsigned long long)m.stmt_prepare);
    /* gcc's prepare begins `if (!s || !stmt || !stmt->conn)`. */
    ok(img && m.stmt_prepare >= 9 && m.stmt_prepare <= size
       && (memcmp(img + m.stmt_prepare - 9, je32, 5) == 0
           || memcmp(img + m.stmt_prepare - 5, je8, 4) == 0),
       "prepare's probe is past its test %%rdi,%%rdi and je");
    ok(m.query != m.stmt_prepare && m.query != m.stmt_execute && m.stmt_prepare != m.stmt_execute,
       "three different functions");

    /* The layout check: a table of another size is another PHP's. */
    if (img) {
        Elf64_Sym *table = image_dynsym(img, size, "mysqlnd_mysqlnd_conn_data_methods");
        char tmp[64];

        ok(table && table->st_size == PHPBPF_MYSQLND_CONN_DATA_METHODS_SIZE,
           "the exported conn_data table is %d bytes, as in the headers",
           PHPBPF_MYSQLND_CONN_DATA_METHODS_SIZE);
        if (table)
            table->st_size += 8;
        rc = table && spill(tmp, sizeof(tmp), img, size) == 0 ? phpbpf_mysqlnd_inspect(tmp, &m) : 0;
        ok(rc == -1 && strstr(m.why, "is not the layout of PHP " PHPBPF_PHP_VERSION "'s headers")
           && !m.query && !m.stmt_prepare && !m.stmt_execute,
           "a table 8 bytes larger: nothing found, why: %s", m.why);
        unlink(tmp);
        if (table)
            table->st_size -= 8;

        /* Cut short anywhere: no crash, and a reason when it fails. */
        {
            size_t cuts[] = { 16, 64, 4096, size / 2, size - 64, size - 1 };
            unsigned i;

            for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
                rc = spill(tmp, sizeof(tmp), img, cuts[i]) == 0 ? phpbpf_mysqlnd_inspect(tmp, &m) : 0;
                ok(rc == 0 ? m.why[0] == '\0' : m.why[0] != '\0',
                   "mysqlnd.so cut to %zu bytes: %d, why: %s", cuts[i], rc, m.why);
                unlink(tmp);
            }
        }
    }
    free(img);
}

static void test_not_mysqlnd(void)
{
    static const char junk[] = "this is not an ELF file, nor mysqlnd.so\n";
    struct phpbpf_mysqlnd m;
    char tmp[64];
    int rc;

    rc = spill(tmp, sizeof(tmp), junk, sizeof(junk)) == 0 ? phpbpf_mysqlnd_inspect(tmp, &m) : 0;
    ok(rc == -1 && strstr(m.why, "not an ELF file") && !m.query,
       "a file of text: -1, why: %s", m.why);
    unlink(tmp);
    rc = phpbpf_mysqlnd_inspect("/nonexistent/mysqlnd.so", &m);
    ok(rc == -1 && strstr(m.why, "cannot open") && !m.query, "no file: -1, why: %s", m.why);
    rc = phpbpf_mysqlnd_inspect("/bin/true", &m);
    ok(rc == -1 && strstr(m.why, "exports no") && !m.query && !m.stmt_prepare,
       "/bin/true: -1, why: %s", m.why);
    rc = phpbpf_mysqlnd_inspect("/tmp", &m);
    ok(rc == -1 && m.why[0], "a directory: -1, why: %s", m.why);
}

void mysqlnd_tests(void)
{
    test_prologue();
    test_real();
    test_not_mysqlnd();
}
