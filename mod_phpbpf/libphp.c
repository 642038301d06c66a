/* libphp discovery.  The uprobes live on an inode, so what matters is
 * the file mapped in this process, not a path in a configuration. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "apr_strings.h"

#include "buildid.h"
#include "libphp.h"

/* The mapping of this process that holds addr, from /proc/self/maps:
 * its address range, device and inode. */
static int mapping_of(const void *addr, char *range, size_t rlen, unsigned *maj,
                      unsigned *min, unsigned long *ino)
{
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096];
    int found = 0;

    if (!f)
        return 0;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi;

        if (sscanf(line, "%lx-%lx %*s %*s %x:%x %lu", &lo, &hi, maj, min, ino) == 5
            && (uintptr_t)addr >= lo && (uintptr_t)addr < hi) {
            snprintf(range, rlen, "%lx-%lx", lo, hi);
            found = 1;
        }
    }
    fclose(f);
    return found;
}

#define OVERLAYFS_MAGIC 0x794c7630

/* Whether the file at path is the one mapped (device maj:min, inode ino,
 * loaded at base): the uprobes go on the path's inode, so a copy with the
 * same bytes (a package upgrade renamed over the file) is not.  On
 * overlayfs, a 6.1 kernel shows the mapping with the lower layer's device
 * and the path with the overlay's, while both have the real file's inode
 * number, and the kernel puts a uprobe on the overlay path on the real
 * file: there, the device is not compared (the same file looked replaced,
 * issue 22), and the build-ids must agree when both have one. */
static int same_file(const char *path, const void *base, const struct stat *st, unsigned maj,
                     unsigned min, unsigned long ino)
{
    unsigned char loaded[PHPBPF_BUILD_ID_MAX], on_disk[PHPBPF_BUILD_ID_MAX];
    struct statfs fs;
    size_t n, m;

    if (st->st_ino != ino)
        return 0;
    if (major(st->st_dev) == maj && minor(st->st_dev) == min)
        return 1;
    if (statfs(path, &fs) != 0 || (unsigned long)fs.f_type != OVERLAYFS_MAGIC)
        return 0;
    n = phpbpf_build_id_loaded(base, loaded);
    m = phpbpf_build_id_file(path, on_disk);
    return !n || !m || (n == m && memcmp(loaded, on_disk, n) == 0);
}

/* The libphp mod_php was really loaded from: ask the dynamic linker where
 * mod_php's module record lives, rather than trusting a path in a config.
 *
 * A package upgrade renames a new libphp over the old one, but httpd never
 * unloads libphp (it cannot be dlclose()d), so after a graceful or plain
 * restart the children still run the old, deleted file.  Attaching to the
 * path would then trace nothing: attach to the inode actually mapped, via
 * /proc/<pid>/map_files, and say so on the page. */
int phpbpf_find_libphp(apr_pool_t *p, phpbpf_lib *lib)
{
    module *m;
    Dl_info info;
    char range[64];
    unsigned maj, min;
    unsigned long ino;
    struct stat st;

    for (m = ap_top_module; m; m = m->next) {
        /* mod_php.c in PHP 8, mod_php7.c and mod_php5.c before */
        if (strncmp(m->name, "mod_php", 7) != 0
            || strspn(m->name + 7, "0123456789") > 1
            || strcmp(m->name + 7 + strspn(m->name + 7, "0123456789"), ".c") != 0)
            continue;
        if (!dladdr(m, &info) || !info.dli_fname)
            continue;
        lib->shown = lib->attach = apr_pstrdup(p, info.dli_fname);
        lib->base = (apr_uint64_t)(uintptr_t)info.dli_fbase;
        if (!mapping_of(m, range, sizeof(range), &maj, &min, &ino)) {
            lib->identity = "";
            return 1;
        }
        lib->identity = apr_psprintf(p, "dev=%u:%u ino=%lu", maj, min, ino);
        if (stat(info.dli_fname, &st) != 0
            || !same_file(info.dli_fname, info.dli_fbase, &st, maj, min, ino)) {
            lib->attach = apr_psprintf(p, "/proc/%ld/map_files/%s", (long)getpid(), range);
            lib->shown = apr_pstrcat(p, info.dli_fname, " (replaced on disk since httpd "
                                     "started: PHP runs the old file until a full stop and "
                                     "start)", NULL);
        }
        return 1;
    }
    return 0;
}

void phpbpf_configured_lib(apr_pool_t *p, const char *path, phpbpf_lib *lib)
{
    struct stat st;
    phpbpf_lib loaded = { NULL, NULL, NULL, 0 };
    unsigned char a[PHPBPF_BUILD_ID_MAX], b[PHPBPF_BUILD_ID_MAX];
    size_t n;

    /* The loaded libphp's base, if the configured file has its build-id:
     * another copy of the same file, say. */
    if (phpbpf_find_libphp(p, &loaded) && loaded.base
        && (n = phpbpf_build_id_loaded((const void *)(uintptr_t)loaded.base, a)) != 0
        && phpbpf_build_id_file(path, b) == n && memcmp(a, b, n) == 0)
        lib->base = loaded.base;
    lib->attach = lib->shown = path;
    lib->identity = stat(path, &st) == 0
        ? apr_psprintf(p, "dev=%u:%u ino=%lu", major(st.st_dev), minor(st.st_dev),
                       (unsigned long)st.st_ino)
        : "";
}

/* A library PHP loaded itself (an extension, such as mysqlnd.so), found by
 * its file name among this process's mappings: PHP loads extensions in
 * the parent at startup (mod_php's post_config, which runs before ours),
 * and the children inherit them.  The path the helper attaches to, or
 * NULL if it is not loaded; with prefix, a file whose name begins with
 * name (libpq.so.5.15 for libpq.so.5).  Replaced on disk since (a package upgrade
 * renamed a new one over it): the mapped file, through map_files. */
const char *phpbpf_find_loaded(apr_pool_t *p, const char *name, int prefix)
{
    return phpbpf_find_loaded_by(p, getpid(), name, prefix);
}

const char *phpbpf_find_loaded_by(apr_pool_t *p, pid_t pid, const char *name, int prefix)
{
    char line[4096], path[4096];
    FILE *f;
    const char *found = NULL;
    size_t n = strlen(name);

    snprintf(path, sizeof(path), "/proc/%ld/maps", (long)pid);
    if (!(f = fopen(path, "r")))
        return NULL;
    while (!found && fgets(line, sizeof(line), f)) {
        unsigned long lo, hi, off, ino;
        unsigned maj, min;
        struct stat st;
        size_t len;

        const char *base;

        if (sscanf(line, "%lx-%lx %*s %lx %x:%x %lu %4095s", &lo, &hi, &off, &maj, &min, &ino,
                   path) != 7 || path[0] != '/' || (len = strlen(path)) < n + 1)
            continue;
        base = strrchr(path, '/') + 1;
        if (prefix ? strncmp(base, name, n) != 0 : strcmp(base, name) != 0)
            continue;
        if (stat(path, &st) == 0 && st.st_ino == ino && major(st.st_dev) == maj
            && minor(st.st_dev) == min)
            found = apr_pstrdup(p, path);
        else
            found = apr_psprintf(p, "/proc/%ld/map_files/%lx-%lx", (long)pid, lo, hi);
    }
    fclose(f);
    return found;
}
