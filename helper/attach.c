/* Loading and attaching, as root: what libphp and the kernel allow, the
 * programs loaded on the predecessor's maps where they fit (carry.h),
 * attached once with pid -1 to the libphp file, the arrays mapped, and at
 * the end the maps handed on to the next helper. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper.h"
#include "log.h"
#include "routes.h"
#include "peers.h"
#include "queries.h"
#include "stacks.h"
#include "tables.h"
#include "phpbpf.skel.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"

/* What is configured but this libphp cannot give: said on the page. */
static void not_traced(struct phpbpf_helper *h, const char *what, const char *why)
{
    size_t n = strlen(h->untraced);

    snprintf(h->untraced + n, sizeof(h->untraced) - n, "%s%s: %s", n ? "; " : "", what, why);
    logmsg("warn", "%s unavailable: %s", what, why);
}

/* The file PHP's layout and probes are read from: libphp, or with PHP
 * only in php-fpm the first pool's binary. */
static const char *php_file(const struct phpbpf_helper *h)
{
    return *h->opt->library ? h->opt->library : h->opt->fpm.v[0];
}

/* A PHP built without --enable-dtrace, or stripped (the official Docker
 * images are both), has no USDT notes, but still exports the functions the
 * notes sit in: the request probes go there instead. */
static void check_prerequisites(struct phpbpf_helper *h)
{
    const char *lib = h->opt->library;

    if (access(BTF_PATH, R_OK) != 0)
        startup_failure("the kernel exposes no BTF (%s: %s); a kernel built with "
                        "CONFIG_DEBUG_INFO_BTF is required, and in a container /sys/kernel/btf "
                        "must be mounted", BTF_PATH, strerror(errno));
    if (!*lib) {
        /* php-fpm only: its programs find PHP's globals per process. */
        h->usdt_request = 1;
        phpbpf_libphp_inspect(php_file(h), 0, PHPBPF_LIBPHP_FILE_ADDRS, &h->php);
        return;
    }
    switch (phpbpf_libphp_has_usdt(lib, "request__startup")) {
    case -1:
        if (access(lib, R_OK) != 0)
            startup_failure("cannot open PHP library %s: %s", lib, strerror(errno));
        startup_failure("%s is not an ELF shared object", lib);
    case 1:
        h->usdt_request = phpbpf_libphp_has_usdt(lib, "request__shutdown") == 1;
    }
    phpbpf_libphp_inspect(lib, h->opt->httpd_pid, h->opt->libphp_base, &h->php);
    if (!h->usdt_request && !(h->php.fn_startup && h->php.fn_shutdown))
        startup_failure("%s has neither php:request__startup/shutdown USDT probes nor "
                        "php_request_startup/shutdown in its dynamic symbol table: is it PHP?",
                        lib);
}

static int attached(struct phpbpf_helper *h, const char *path, struct bpf_link *link,
                    struct bpf_link **out, const char *what, uint32_t bit, int required)
{
    int err = errno;
    const char *hint = err == EACCES || err == EPERM ? " (attaching uprobes needs CAP_SYS_ADMIN)"
                                                     : "";

    *out = link;
    if (!link) {
        if (required)
            startup_failure("cannot attach %s in %s: %s%s", what, path, strerror(err), hint);
        logmsg("warn", "cannot attach %s in %s: %s%s", what, path, strerror(err), hint);
        return -1;
    }
    h->probes |= bit;
    return 0;
}

/* Once, system-wide (pid -1): the kernel keeps the USDT semaphore up in
 * every process that maps the file, and the programs filter by process.
 * cookie: 0 for libphp, k + 1 for php-fpm binary k (bpf/requests.bpf.c). */
static int attach_usdt(struct phpbpf_helper *h, const char *path, uint64_t cookie,
                       struct bpf_program *prog, const char *probe, struct bpf_link **out,
                       uint32_t bit, int required)
{
    LIBBPF_OPTS(bpf_usdt_opts, o, .usdt_cookie = cookie);
    char what[64];

    snprintf(what, sizeof(what), "php:%s", probe);
    return attached(h, path, bpf_program__attach_usdt(prog, -1, path, "php", probe, &o), out,
                    what, bit, required);
}

/* A probe on an exported function of PHP, at its entry or its return,
 * found by name in the dynamic symbol table (libbpf reads it). */
static int attach_fn(struct phpbpf_helper *h, const char *path, struct bpf_program *prog,
                     const char *func, int retprobe, struct bpf_link **out, uint32_t bit,
                     int required)
{
    LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = retprobe);
    /* Past an endbr64, which every call runs and which the kernel would
     * single-step; the return address is still on top of the stack there. */
    size_t skip = phpbpf_libphp_endbr(path, func) ? 4 : 0;
    char what[80];

    snprintf(what, sizeof(what), "%s:%s%s", retprobe ? "uretprobe" : "uprobe", func,
             skip ? "+4" : "");
    if (skip)
        logmsg("info", "%s begins with endbr64: probed at %s", func, what);
    return attached(h, path, bpf_program__attach_uprobe_opts(prog, -1, path, skip, &o), out,
                    what, bit, required);
}

/* Each php-fpm binary's addresses, as the file has them, for the programs
 * to find in each master (bpf/phpbpf.h); a binary of another PHP than
 * this build's headers, or without USDT notes, is not traced. */
static void fpm_targets(struct phpbpf_helper *h)
{
    unsigned k;

    if (!h->opt->fpm.n)
        return;
    if (!(h->skel->rodata->fpm_nonce = h->args.fpm_nonce))
        startup_failure("php-fpm pools, but no %s in the environment", PHPBPF_FPM_NONCE_ENV);
    for (k = 0; k < h->opt->fpm.n; k++) {
        const char *path = h->opt->fpm.v[k];
        struct phpbpf_fpm_target *t = (struct phpbpf_fpm_target *)&h->skel->rodata->fpm_targets[k];
        struct phpbpf_libphp php;
        uint64_t pc = 0;
        char what[PHPBPF_STR_MAX];

        snprintf(what, sizeof(what), "php-fpm %s", path);
        phpbpf_libphp_inspect(path, 0, PHPBPF_LIBPHP_FILE_ADDRS, &php);
        if (php.layout_why) {
            not_traced(h, what, php.layout_why);
            continue;
        }
        if (phpbpf_libphp_usdt_pc(path, "request__startup", &pc) != 1
            || phpbpf_libphp_has_usdt(path, "request__shutdown") != 1) {
            not_traced(h, what, "no php:request__startup/shutdown USDT probes in it");
            continue;
        }
        *t = (struct phpbpf_fpm_target){ pc, php.eg, php.sg, php.ex_lo, php.ex_hi };
        h->fpm_ok |= 1u << k;
    }
    h->skel->rodata->fpm_on = h->fpm_ok != 0;
    if (!h->fpm_ok && !*h->opt->library)
        startup_failure("no php-fpm binary can be traced: %s", h->untraced);
}

/* The same programs as libphp's, on each php-fpm binary, with its cookie. */
static void fpm_attach(struct phpbpf_helper *h, int exc_usdt, int exc_fn)
{
    unsigned k;

    for (k = 0; k < h->opt->fpm.n; k++) {
        const char *path = h->opt->fpm.v[k];
        struct bpf_link **l = h->fpm_links[k];

        if (!(h->fpm_ok & (1u << k)))
            continue;
        attach_usdt(h, path, k + 1, h->skel->progs.php_request_startup, "request__startup", &l[0],
                    PHPBPF_PROBE_REQUEST_STARTUP, 1);
        attach_usdt(h, path, k + 1, h->skel->progs.php_request_shutdown, "request__shutdown",
                    &l[1], PHPBPF_PROBE_REQUEST_SHUTDOWN, 1);
        if (exc_usdt)
            attach_usdt(h, path, k + 1, h->skel->progs.php_exception_thrown, "exception__thrown",
                        &l[2], PHPBPF_PROBE_EXC_THROWN, 0);
        else if (exc_fn)
            attach_fn(h, path, h->skel->progs.php_exception_fn, "zend_throw_exception_internal", 0,
                      &l[2], PHPBPF_PROBE_FN_THROW, 0);
        if (bpf_program__autoload(h->skel->progs.php_compile_entry)
            && attach_fn(h, path, h->skel->progs.php_compile_entry, "compile_file", 0, &l[3],
                         PHPBPF_PROBE_COMPILE_ENTRY, 0) == 0)
            attach_fn(h, path, h->skel->progs.php_compile_return, "compile_file", 1, &l[4],
                      PHPBPF_PROBE_COMPILE_RETURN, 0);
    }
}

/* Stack samples and backtraces to the profile, exceptions and compiles to
 * their tables. */
static int on_event(void *ctx, void *data, size_t len)
{
    uint32_t source;

    (void)ctx;
    if (len < sizeof(source))
        return 0;
    memcpy(&source, data, sizeof(source));
    if (source == PHPBPF_SRC_SAMPLE || source == PHPBPF_SRC_BACKTRACE)
        phpbpf_stacks_event(data, len);
    else if (source == PHPBPF_SRC_QUERY)
        phpbpf_queries_event(data, len);
    else
        phpbpf_tables_event(data, len);
    return 0;
}

static int on_slow_event(void *ctx, void *data, size_t len)
{
    struct phpbpf_helper *h = ctx;

    if (len >= sizeof(struct phpbpf_slow_event) && h->slow_log) {
        memcpy(&h->slow_log->ev[h->slow_log->n++ % PHPBPF_SLOW_MAX], data,
               sizeof(struct phpbpf_slow_event));
        phpbpf_queries_slow(((const struct phpbpf_slow_event *)data)->pid,
                            ((const struct phpbpf_slow_event *)data)->seq);
    }
    return 0;
}

/* The maps with history (bpf/phpbpf_state.bpf.h), which a new helper takes
 * over from this one; .bss holds the counters, the call sites' totals and
 * the generation. */
static unsigned carried(const struct phpbpf_helper *h, struct bpf_map **m)
{
    unsigned n = 0;

    m[n++] = h->skel->maps.inflight;
    m[n++] = h->skel->maps.php_hist;
    m[n++] = h->skel->maps.vstats;
    m[n++] = h->skel->maps.cpu_hist;
    m[n++] = h->skel->maps.wait_hist;
    m[n++] = h->skel->maps.compile_hist;
    m[n++] = h->skel->maps.slow_events;
    m[n++] = h->skel->maps.slow_log;
    m[n++] = h->skel->maps.table_lost;
    m[n++] = h->skel->maps.funcs;
    m[n++] = h->skel->maps.events;
    m[n++] = h->skel->maps.wait_sites;
    m[n++] = h->skel->maps.routes;
    m[n++] = h->skel->maps.bss;
    return n;
}

/* The defaults first, PhpBpfPeer over them. */
static void fill_peers(const struct phpbpf_helper *h)
{
    int ports = bpf_map__fd(h->skel->maps.peer_ports);
    int addrs = bpf_map__fd(h->skel->maps.peer_addrs);
    int paths = bpf_map__fd(h->skel->maps.peer_unix);
    unsigned i;

    for (i = 0; i < phpbpf_default_npeers + h->args.npeers; i++) {
        const struct phpbpf_peer *p = i < phpbpf_default_npeers ? &phpbpf_default_peers[i]
                                   : &h->args.peer[i - phpbpf_default_npeers];
        struct phpbpf_peer_key k = { p->kind == PHPBPF_PEER_ADDR6 ? 10 : 2, p->port, { 0 } };
        uint64_t hash;
        int err;

        memcpy(k.addr, p->addr, sizeof(k.addr));
        switch (p->kind) {
        case PHPBPF_PEER_PORT:
            err = bpf_map_update_elem(ports, &p->port, &p->wait_class, BPF_ANY);
            break;
        case PHPBPF_PEER_UNIX:
            hash = phpbpf_path_hash(p->path, sizeof(p->path));
            err = bpf_map_update_elem(paths, &hash, &p->wait_class, BPF_ANY);
            break;
        default:
            err = bpf_map_update_elem(addrs, &k, &p->wait_class, BPF_ANY);
        }
        if (err)
            startup_failure("cannot set peer %u: %s", i, strerror(errno));
    }
}

static const void *map_array(struct bpf_map *map, size_t value_size)
{
    const void *p = mmap(NULL, (size_t)bpf_map__max_entries(map) * value_size, PROT_READ,
                         MAP_SHARED, bpf_map__fd(map), 0);

    if (p == MAP_FAILED)
        startup_failure("cannot map %s: %s", bpf_map__name(map), strerror(errno));
    return p;
}

/* The httpd parent's pid as task_struct has it.  httpd passed its own
 * getpid(), which in a pid namespace (a container) is another number; the
 * helper's parent is httpd (checked at start), so a BPF program run in the
 * helper's context reads it from the kernel itself. */
static void whoami(const struct phpbpf_helper *h)
{
    LIBBPF_OPTS(bpf_test_run_opts, run);
    int err = bpf_prog_test_run_opts(bpf_program__fd(h->skel->progs.php_whoami), &run);

    if (err || !h->skel->bss->httpd_pid)
        startup_failure("cannot read httpd's pid from the kernel: %s", err ? strerror(-err) : "0");
    if ((uint64_t)h->skel->bss->httpd_pid != h->opt->httpd_pid)
        logmsg("info", "httpd pid %d is pid %u outside its pid namespace", (int)h->opt->httpd_pid,
               h->skel->bss->httpd_pid);
}

/* What the verifier went through for each program (the kernel's own
 * count): the bench compares it across kernels, to see growth toward the
 * verifier's limits before a user's kernel refuses a program. */
static void log_verified(const struct phpbpf_helper *h)
{
    struct bpf_program *prog;
    char line[1024] = "";
    size_t n = 0;

    bpf_object__for_each_program(prog, h->skel->obj) {
        struct bpf_prog_info info;
        __u32 len = sizeof(info);

        memset(&info, 0, sizeof(info));
        if (bpf_program__fd(prog) < 0
            || bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) != 0)
            continue;
        n += (size_t)snprintf(line + n, n < sizeof(line) ? sizeof(line) - n : 0, " %s %u",
                              bpf_program__name(prog), info.verified_insns);
    }
    logmsg("info", "verified instructions:%s", line);
}

void phpbpf_attach(struct phpbpf_helper *h)
{
    const char *lib = h->opt->library;
    int err, exc_usdt, exc_fn;

    check_prerequisites(h);
    h->skel = phpbpf__open();
    if (!h->skel)
        startup_failure("cannot open the BPF object: %s", strerror(errno));
    h->skel->rodata->slot_addr = h->opt->slot;
    {
        struct stat ns;

        /* In a container httpd's pids are not the kernel's: see php_whoami. */
        if (stat("/proc/self/ns/pid", &ns) == 0) {
            h->skel->rodata->pidns_dev = (__u64)ns.st_dev;
            h->skel->rodata->pidns_ino = (__u64)ns.st_ino;
        }
    }
    /* Load only what will be attached.  compile_file and the exception
     * are read at this build's offsets of PHP's structures. */
    if (h->opt->compile && (!h->php.fn_compile || h->php.layout_why))
        not_traced(h, "compile tracing", h->php.layout_why ? h->php.layout_why
                                                     : "libphp does not export compile_file");
    if (!h->opt->compile || !h->php.fn_compile || h->php.layout_why) {
        bpf_program__set_autoload(h->skel->progs.php_compile_entry, false);
        bpf_program__set_autoload(h->skel->progs.php_compile_return, false);
    }
    exc_usdt = phpbpf_libphp_has_usdt(php_file(h), "exception__thrown") == 1;
    exc_fn = !exc_usdt && h->php.fn_throw && !h->php.layout_why;
    if (!exc_usdt && !exc_fn)
        not_traced(h, "exceptions", h->php.fn_throw ? h->php.layout_why
                                              : "no php:exception__thrown probe, and libphp does "
                                                "not export zend_throw_exception_internal");
    if (!exc_usdt)
        bpf_program__set_autoload(h->skel->progs.php_exception_thrown, false);
    if (!exc_fn)
        bpf_program__set_autoload(h->skel->progs.php_exception_fn, false);
    h->skel->rodata->usdt_args = h->usdt_request;
    h->skel->rodata->sg_addr = h->php.layout_why ? 0 : h->php.sg;
    if (h->opt->slow_us && !h->usdt_request && !h->skel->rodata->sg_addr)
        not_traced(h, "the slow log's script, URI and method from PHP",
                   h->php.layout_why ? h->php.layout_why : "libphp exports no sapi_globals");
    if (!h->opt->cpu)
        bpf_program__set_autoload(h->skel->progs.php_sched_switch, false);
    h->skel->rodata->cpu_tracing = h->opt->cpu;
    h->skel->rodata->slow_us = h->opt->slow_us;
    fpm_targets(h);
    {
        struct phpbpf_stacks_cfg sc = { &h->php, (unsigned)h->opt->profile_hz,
                                        (unsigned)h->opt->trace_depth, h->opt->slow_us,
                                        (unsigned)h->opt->vhosts, h->opt->cpu,
                                        h->opt->mysqlnd || h->opt->libpq, logmsg };

        phpbpf_stacks_prepare(h->skel, &sc);
    }
    err = bpf_map__set_max_entries(h->skel->maps.php_hist, h->opt->vhosts);
    if (!err)
        err = bpf_map__set_max_entries(h->skel->maps.vstats, h->opt->vhosts);
    if (!err)
        err = bpf_map__set_max_entries(h->skel->maps.cpu_hist, h->opt->cpu ? h->opt->vhosts : 1);
    if (!err)
        err = bpf_map__set_max_entries(h->skel->maps.wait_hist, h->opt->cpu ? h->opt->vhosts : 1);
    if (!err)
        err = bpf_map__set_max_entries(h->skel->maps.compile_hist,
                                       h->opt->compile ? h->opt->vhosts : 1);
    if (!err)
        err = bpf_map__set_max_entries(h->skel->maps.table_lost, h->opt->vhosts);
    phpbpf_routes_prepare(h);
    phpbpf_queries_prepare(h);
    if (!err) {
        struct bpf_map *m[PHPBPF_CARRY_MAX];

        /* The maps as sized now; the predecessor's where they fit. */
        h->carry.rd = h->args.mailbox[0];
        h->carry.wr = h->args.mailbox[1];
        h->carry.log = logmsg;
        phpbpf_carry_take(&h->carry, m, carried(h, m));
        h->skel->rodata->my_gen = h->carry.gen;
        err = phpbpf__load(h->skel);
    }
    if (err)
        startup_failure("the kernel refused the BPF programs: %s%s", strerror(-err),
                        err != -EPERM ? ""
                        : phpbpf_in_user_namespace()
                        ? " (httpd runs in a user namespace, as in a rootless container: BPF needs "
                          "CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN in the host's; run the container "
                          "privileged or with those capabilities)"
                        : " (the helper needs CAP_BPF and CAP_PERFMON to load, CAP_SYS_ADMIN to "
                          "attach: start httpd as root with them)");
    whoami(h);
    log_verified(h);
    if (phpbpf_routes_loaded(h) != 0)
        startup_failure("cannot set up routes: %s", strerror(errno));

    if (!*h->opt->library)
        ;                       /* php-fpm only */
    else if (h->usdt_request) {
        attach_usdt(h, lib, 0, h->skel->progs.php_request_startup, "request__startup",
                    &h->skel->links.php_request_startup, PHPBPF_PROBE_REQUEST_STARTUP, 1);
        attach_usdt(h, lib, 0, h->skel->progs.php_request_shutdown, "request__shutdown",
                    &h->skel->links.php_request_shutdown, PHPBPF_PROBE_REQUEST_SHUTDOWN, 1);
    }
    else {
        /* The USDT probes sit at the top of php_request_startup and at the
         * end of php_request_shutdown, after shutdown functions and
         * destructors, which are PHP time too: its return is the same
         * place. */
        attach_fn(h, lib, h->skel->progs.php_request_startup, "php_request_startup", 0,
                  &h->skel->links.php_request_startup, PHPBPF_PROBE_FN_STARTUP, 1);
        attach_fn(h, lib, h->skel->progs.php_request_shutdown, "php_request_shutdown", 1,
                  &h->skel->links.php_request_shutdown, PHPBPF_PROBE_FN_SHUTDOWN, 1);
    }
    /* Exceptions cost a hit only when PHP throws.  They and compile
     * tracing are a bonus: without them the core still works. */
    if (!*h->opt->library)
        ;
    else if (exc_usdt)
        attach_usdt(h, lib, 0, h->skel->progs.php_exception_thrown, "exception__thrown",
                    &h->skel->links.php_exception_thrown, PHPBPF_PROBE_EXC_THROWN, 0);
    else if (exc_fn)
        attach_fn(h, lib, h->skel->progs.php_exception_fn, "zend_throw_exception_internal", 0,
                  &h->skel->links.php_exception_fn, PHPBPF_PROBE_FN_THROW, 0);
    if (*h->opt->library && bpf_program__autoload(h->skel->progs.php_compile_entry)
        && attach_fn(h, lib, h->skel->progs.php_compile_entry, "compile_file", 0,
                     &h->skel->links.php_compile_entry, PHPBPF_PROBE_COMPILE_ENTRY, 0) == 0)
        attach_fn(h, lib, h->skel->progs.php_compile_return, "compile_file", 1,
                  &h->skel->links.php_compile_return, PHPBPF_PROBE_COMPILE_RETURN, 0);
    fpm_attach(h, exc_usdt, exc_fn);

    if (h->opt->cpu) {
        h->skel->links.php_sched_switch = bpf_program__attach(h->skel->progs.php_sched_switch);
        if (h->skel->links.php_sched_switch)
            h->probes |= PHPBPF_PROBE_SCHED_SWITCH;
        else
            logmsg("warn", "cannot attach sched:sched_switch: %s; no on/off-CPU times",
                   strerror(errno));
    }

    h->rings = ring_buffer__new(bpf_map__fd(h->skel->maps.events), on_event, NULL, NULL);
    if (!h->rings
        || (h->opt->slow_us && ring_buffer__add(h->rings, bpf_map__fd(h->skel->maps.slow_events),
                                                   on_slow_event, h) != 0))
        startup_failure("cannot open the ring buffers: %s", strerror(errno));
    phpbpf_stacks_attach(h->skel, &h->probes);
    phpbpf_queries_attach(h);

    h->hists = map_array(h->skel->maps.php_hist, sizeof(struct phpbpf_hist));
    if (h->opt->cpu) {
        h->cpus = map_array(h->skel->maps.cpu_hist, sizeof(struct phpbpf_cpu));
        h->waits = map_array(h->skel->maps.wait_hist, sizeof(struct phpbpf_waits));
        fill_peers(h);
    }
    if (h->opt->compile)
        h->compiles = map_array(h->skel->maps.compile_hist, sizeof(struct phpbpf_hist));
    h->vstats = map_array(h->skel->maps.vstats, sizeof(struct phpbpf_vstats));
}

/* Attached: the maps into the parent's mailbox for the next helper, the
 * generation switched to ours (the predecessor's programs stop counting
 * at that instant, ours start), and the predecessor stopped. */
void phpbpf_hand_over(struct phpbpf_helper *h)
{
    struct bpf_map *m[PHPBPF_CARRY_MAX];
    unsigned n = carried(h, m);
    void *p = mmap(NULL, sizeof(struct phpbpf_slow_log), PROT_READ | PROT_WRITE, MAP_SHARED,
                   bpf_map__fd(h->skel->maps.slow_log), 0);

    if (p == MAP_FAILED)
        startup_failure("cannot map slow_log: %s", strerror(errno));
    h->slow_log = p;
    p = mmap(NULL, (size_t)h->opt->vhosts * sizeof(struct phpbpf_table_lost),
             PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(h->skel->maps.table_lost), 0);
    if (p == MAP_FAILED)
        startup_failure("cannot map table_lost: %s", strerror(errno));
    phpbpf_tables_sink(p);
    phpbpf_stacks_sink((uint64_t *)&((struct phpbpf_table_lost *)p)->stacks,
                       sizeof(struct phpbpf_table_lost) / sizeof(uint64_t));
    phpbpf_queries_sink((uint64_t *)&((struct phpbpf_table_lost *)p)->stmts,
                        sizeof(struct phpbpf_table_lost) / sizeof(uint64_t));
    if (phpbpf_carry_give(&h->carry, m, n) != 0)
        logmsg("warn", "PHP-side counters will not outlive this helper");
    if (!h->carry.reused)
        h->skel->bss->php_since_us = phpbpf_now_us();
    __atomic_store_n(&h->skel->bss->active_gen, h->carry.gen, __ATOMIC_SEQ_CST);
    phpbpf_carry_retire(&h->carry);
}
