#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "apr_network_io.h"
#include "apr_strings.h"

#include "../bpf/phpbpf.h"
#include "fpm.h"


/* ------------------------------------------------------ the pools */

static int add_pool(apr_pool_t *p, struct phpbpf_fpm_pool *pools, int n, const char *arg)
{
    struct phpbpf_fpm_pool q;
    int i;

    if (n >= PHPBPF_FPM_POOLS || phpbpf_fpm_parse(p, arg, &q) != NULL)
        return n;
    for (i = 0; i < n; i++)
        if (strcmp(pools[i].name, q.name) == 0)
            return n;
    pools[n] = q;
    return n + 1;
}

/* The proxy directives anywhere in the tree: each argument that is a
 * FastCGI backend. */
static int walk(apr_pool_t *p, const ap_directive_t *d, struct phpbpf_fpm_pool *pools, int n)
{
    for (; d; d = d->next) {
        if (d->first_child)
            n = walk(p, d->first_child, pools, n);
        if (d->args && (strcasecmp(d->directive, "SetHandler") == 0
                        || strcasecmp(d->directive, "ProxyPass") == 0
                        || strcasecmp(d->directive, "ProxyPassMatch") == 0)) {
            const char *args = d->args;

            while (*args) {
                const char *w = ap_getword_conf(p, &args);

                if (!*w)
                    break;
                if (ap_strcasestr(w, "fcgi://")
                    && (strncasecmp(w, "proxy:", 6) == 0 || strncasecmp(w, "unix:", 5) == 0
                        || strncasecmp(w, "fcgi://", 7) == 0))
                    n = add_pool(p, pools, n, w);
            }
        }
    }
    return n;
}

int phpbpf_fpm_pools(apr_pool_t *p, const apr_array_header_t *configured,
                     struct phpbpf_fpm_pool *pools)
{
    int n = 0, i;

    for (i = 0; configured && i < configured->nelts; i++)
        n = add_pool(p, pools, n, APR_ARRAY_IDX(configured, i, const char *));
    return walk(p, ap_conftree, pools, n);
}

/* ---------------------------------------- the master behind a pool */

/* The inode of the listening unix socket bound at path, 0 if none. */
static unsigned long unix_inode(const char *path)
{
    FILE *f = fopen("/proc/net/unix", "r");
    char line[4096 + 128];
    unsigned long ino = 0;

    if (!f)
        return 0;
    while (!ino && fgets(line, sizeof(line), f)) {
        unsigned flags = 0, st = 0;
        unsigned long i = 0;
        int at = 0;

        line[strcspn(line, "\n")] = '\0';
        /* Num RefCount Protocol Flags Type St Inode Path; 0x10000 in Flags:
         * accepting connections (__SO_ACCEPTCON). */
        if (sscanf(line, "%*s %*x %*x %x %*x %x %lu %n", &flags, &st, &i, &at) == 3 && at
            && (flags & 0x10000) && strcmp(line + at, path) == 0)
            ino = i;
    }
    fclose(f);
    return ino;
}

/* The inode of the TCP socket listening on host:port (or on every
 * address, at port), 0 if none. */
static unsigned long tcp_inode(apr_pool_t *p, const char *host, apr_port_t port)
{
    apr_sockaddr_t *sa = NULL;
    unsigned want = 0, have_want = 0;
    unsigned long ino = 0;
    char line[512];
    FILE *f;

    if (apr_sockaddr_info_get(&sa, host, APR_INET, port, 0, p) == APR_SUCCESS && sa) {
        memcpy(&want, &sa->sa.sin.sin_addr, sizeof(want));
        have_want = 1;
    }
    if (!(f = fopen("/proc/net/tcp", "r")))
        return 0;
    while (!ino && fgets(line, sizeof(line), f)) {
        unsigned addr, lport, st;
        unsigned long i;

        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode; the
         * address as the kernel holds it (network order, read as a word). */
        if (sscanf(line, " %*d: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu", &addr, &lport,
                   &st, &i) == 4
            && st == 0x0A && lport == port && (addr == 0 || (have_want && addr == want)))
            ino = i;
    }
    fclose(f);
    return ino;
}

/* A process holding socket inode ino, 0 if none (as root: every
 * process's descriptors). */
static pid_t holder(unsigned long ino)
{
    char want[64], path[300], link[64];
    struct dirent *de, *fe;
    DIR *proc, *fds;
    pid_t found = 0;

    snprintf(want, sizeof(want), "socket:[%lu]", ino);
    if (!(proc = opendir("/proc")))
        return 0;
    while (!found && (de = readdir(proc))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/fd", de->d_name);
        if (!(fds = opendir(path)))
            continue;
        while (!found && (fe = readdir(fds))) {
            char fd[600];
            ssize_t n;

            snprintf(fd, sizeof(fd), "%s/%s", path, fe->d_name);
            if ((n = readlink(fd, link, sizeof(link) - 1)) > 0) {
                link[n] = '\0';
                if (strcmp(link, want) == 0)
                    found = (pid_t)atoi(de->d_name);
            }
        }
        closedir(fds);
    }
    closedir(proc);
    return found;
}

static pid_t parent_of(pid_t pid)
{
    char path[64];
    int ppid = 0;
    FILE *f;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (!(f = fopen(path, "r")))
        return 0;
    /* pid (comm) state ppid: comm may hold spaces and parentheses. */
    {
        char buf[512];
        char *rp;

        if (fgets(buf, sizeof(buf), f) && (rp = strrchr(buf, ')')))
            sscanf(rp + 1, " %*c %d", &ppid);
    }
    fclose(f);
    return (pid_t)ppid;
}

static int same_exe(pid_t a, pid_t b)
{
    char pa[64], pb[64];
    struct stat sa, sb;

    snprintf(pa, sizeof(pa), "/proc/%d/exe", (int)a);
    snprintf(pb, sizeof(pb), "/proc/%d/exe", (int)b);
    return stat(pa, &sa) == 0 && stat(pb, &sb) == 0 && sa.st_dev == sb.st_dev
           && sa.st_ino == sb.st_ino;
}

void phpbpf_fpm_find(apr_pool_t *p, struct phpbpf_fpm_pool *q)
{
    unsigned long ino = q->path ? unix_inode(q->path) : tcp_inode(p, q->host, q->port);
    char exe[64], target[1024];
    struct stat st;
    pid_t pid, up;
    ssize_t n;

    q->master = 0;
    q->binary = q->identity = NULL;
    if (!ino) {
        q->why = "nothing listens there";
        return;
    }
    if (!(pid = holder(ino))) {
        q->why = "no process holds its socket";
        return;
    }
    /* Workers inherit the listening socket: the master is the one whose
     * parent runs another program. */
    while ((up = parent_of(pid)) > 1 && same_exe(pid, up))
        pid = up;
    snprintf(exe, sizeof(exe), "/proc/%d/exe", (int)pid);
    if ((n = readlink(exe, target, sizeof(target) - 1)) <= 0 || stat(exe, &st) != 0) {
        q->why = "its master's program cannot be read";
        return;
    }
    target[n] = '\0';
    q->master = pid;
    /* A binary replaced under a running master: its old file is only
     * reachable through the master. */
    q->binary = strstr(target, " (deleted)") ? apr_pstrdup(p, exe) : apr_pstrdup(p, target);
    q->identity = apr_psprintf(p, "%lx:%lx", (unsigned long)st.st_dev, (unsigned long)st.st_ino);
    q->why = NULL;
}

/* ------------------------------------------------- per request */

static struct phpbpf_fpm_pool req_pools[PHPBPF_FPM_POOLS];
static int req_npools;

void phpbpf_fpm_set_pools(const struct phpbpf_fpm_pool *pools, int n)
{
    int i;

    memcpy(req_pools, pools, (size_t)n * sizeof(*pools));
    for (i = 0; i < n; i++)
        req_pools[i].path_len = req_pools[i].path ? strlen(req_pools[i].path) : 0;
    req_npools = n;
}

/* url: what follows "proxy:" in a handler or a filename; uds: the socket
 * mod_proxy took out of the filename, if it did. */
static int match(const char *url, const char *uds)
{
    int i;

    if (strncasecmp(url, "unix:", 5) == 0) {
        size_t len = strcspn(url + 5, "|");

        for (i = 0; i < req_npools; i++)
            if (req_pools[i].path && strlen(req_pools[i].path) == len
                && memcmp(req_pools[i].path, url + 5, len) == 0)
                return i;
        return -1;
    }
    if (strncasecmp(url, "fcgi://", 7) != 0)
        return -1;
    if (uds) {
        for (i = 0; i < req_npools; i++)
            if (req_pools[i].path && strcmp(req_pools[i].path, uds) == 0)
                return i;
        return -1;
    }
    url += 7;
    for (i = 0; i < req_npools; i++) {
        const struct phpbpf_fpm_pool *q = &req_pools[i];
        size_t hl;

        if (!q->host || strncasecmp(url, q->host, hl = strlen(q->host)) != 0)
            continue;
        if (url[hl] == ':' ? (apr_port_t)atoi(url + hl + 1) == q->port
                           : ((url[hl] == '/' || !url[hl]) && q->port == PHPBPF_FCGI_DEFAULT_PORT))
            return i;
    }
    return -1;
}

/* The common case first, with no scan of the string: SetHandler
 * "proxy:unix:PATH|fcgi://..." as Debian's php8.2-fpm.conf writes it,
 * PATH compared with each pool's by length and bytes. */
static int match_unix_handler(const char *h)
{
    int i;

    for (i = 0; i < req_npools; i++) {
        const struct phpbpf_fpm_pool *q = &req_pools[i];

        if (q->path && strncmp(h, q->path, q->path_len) == 0 && h[q->path_len] == '|')
            return i;
    }
    return -1;
}

int phpbpf_fpm_pool_of(const request_rec *r)
{
    const char *h = r->handler;

    if (!req_npools)
        return -1;
    if (h && strncmp(h, "proxy:unix:", 11) == 0)
        return match_unix_handler(h + 11);
    if (h && strncasecmp(h, "proxy:", 6) == 0)
        return match(h + 6, NULL);
    if (r->proxyreq && r->filename && strncmp(r->filename, "proxy:", 6) == 0)
        return match(r->filename + 6, apr_table_get(r->notes, "uds_path"));
    return -1;
}
