/* phpbpf-helper: the privileged half of mod_phpbpf.
 *
 * Started by the httpd parent in post_config (never by children), it loads
 * the BPF skeleton, attaches php:request__startup/shutdown once with pid -1
 * to the libphp file, then drops every capability and answers snapshot
 * requests on a Unix socket only Apache's User can open.
 *
 * fd 0 is a pipe from the httpd parent: one line per new Apache generation,
 * EOF when the parent is gone.  fd 1 is a pipe the parent reads only when we
 * exit, for the reason of a startup failure.  fd 2 is Apache's error log.
 * Exit status PHPBPF_EXIT_STARTUP means "do not respawn me".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "snapshot.h"
#include "carry.h"
#include "serve.h"
#include "tables.h"
#include "stacks.h"
#include "sockdir.h"
#include "peers.h"
#include "args.h"
#include "log.h"
#include "phpbpf.skel.h"

#define BTF_PATH "/sys/kernel/btf/vmlinux"


static struct phpbpf_helper_args args;
static const struct phpbpf_options *const opt = &args.o;
static struct phpbpf *skel;
static const struct phpbpf_hist *hists;   /* mmap of the php_hist map */
static const struct phpbpf_vstats *vstats; /* mmap of the vstats map */
static const struct phpbpf_cpu *cpus;      /* mmap of the cpu_hist map */
static const struct phpbpf_waits *waits;   /* mmap of the wait_hist map */
static const struct phpbpf_hist *compiles; /* mmap of the compile_hist map */
static struct phpbpf_snap_vhost *snap_room;
/* Every bucket a snapshot could hold, reserved once: only the pages that
 * the buckets in use reach are ever touched. */
static struct phpbpf_sparse_bucket *bucket_room;
static uint32_t probes;                    /* PHPBPF_PROBE_* attached */
static struct phpbpf_libphp php;           /* what libphp has besides USDT notes */
static int usdt_request;                   /* request probes are USDT notes, not functions */
static char untraced[PHPBPF_STR_MAX];      /* configured, but not on this libphp */
/* The slow events' ring buffer and the events' (stack samples,
 * backtraces, exceptions, compiles), polled together. */
static struct ring_buffer *rings;
/* When the tables' current period began, and the one before (0: none). */
static uint64_t period_start[2];
/* The last opt->slow_size slow requests, as a ring in the slow_log map,
 * which outlives this helper; n counts all. */
static struct phpbpf_slow_log *slow_log;
static struct phpbpf_slow_event slow_out[PHPBPF_SLOW_MAX];
static struct phpbpf_carry carry = { .rd = -1, .wr = -1, .pidfd = -1 };
static uint64_t started_us;
static uint32_t generation;
static int listen_fd = -1;

static uint64_t now_us(void)
{
    struct timeval tv;

    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

static void close_from(int lo, int hi)
{
    if (lo > hi)
        return;
    if (syscall(SYS_close_range, (unsigned)lo, (unsigned)hi, 0U) != 0)
        for (int fd = lo; fd <= hi && fd < 65536; fd++)
            close(fd);
}

/* Before anything else: we may have inherited descriptors and signal
 * settings from httpd that are not ours.  Keep 0-2 (and the mailbox)
 * only, leave the server's process group so its graceful/restart signals
 * are not ours, and die with the parent. */
static void sanitize_process(void)
{
    int lo = args.mailbox[0] < args.mailbox[1] ? args.mailbox[0] : args.mailbox[1];
    int hi = args.mailbox[0] < args.mailbox[1] ? args.mailbox[1] : args.mailbox[0];
    sigset_t none;
    int sig;

    if (lo < 0)
        close_from(3, (int)(~0U >> 1));
    else {
        close_from(3, lo - 1);
        close_from(lo + 1, hi - 1);
        close_from(hi + 1, (int)(~0U >> 1));
        fcntl(lo, F_SETFD, FD_CLOEXEC);
        fcntl(hi, F_SETFD, FD_CLOEXEC);
    }
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (sig = 1; sig < NSIG; sig++)
        signal(sig, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    signal(SIGWINCH, SIG_IGN);
    setsid();
    prctl(PR_SET_PDEATHSIG, SIGTERM);
}

/* libbpf's own error for a library without notes is a debug-level line
 * about "no USDT notes"; check first so the operator reads a real reason. */
static int has_php_probe(const char *path, const char *probe)
{
    Elf *elf;
    Elf_Scn *scn = NULL;
    size_t shstrndx;
    int fd, found = 0;

    elf_version(EV_CURRENT);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        startup_failure("cannot open PHP library %s: %s", path, strerror(errno));
    elf = elf_begin(fd, ELF_C_READ, NULL);
    if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0) {
        close(fd);
        startup_failure("%s is not an ELF shared object", path);
    }
    while (!found && (scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        GElf_Nhdr nh;
        size_t off = 0, name_off, desc_off;
        Elf_Data *data;
        const char *name;

        if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
            continue;
        name = elf_strptr(elf, shstrndx, sh.sh_name);
        if (!name || strcmp(name, ".note.stapsdt") != 0)
            continue;
        data = elf_getdata(scn, NULL);
        while (data && (off = gelf_getnote(data, off, &nh, &name_off, &desc_off)) > 0) {
            const char *desc = (const char *)data->d_buf + desc_off;
            size_t addrs = 3 * 8, plen;

            if (nh.n_type != 3 || nh.n_descsz <= addrs)
                continue;
            plen = strnlen(desc + addrs, nh.n_descsz - addrs);
            if (strcmp(desc + addrs, "php") == 0 && addrs + plen + 1 < nh.n_descsz
                && strncmp(desc + addrs + plen + 1, probe,
                           nh.n_descsz - addrs - plen - 1) == 0) {
                found = 1;
                break;
            }
        }
    }
    elf_end(elf);
    close(fd);
    return found;
}

/* What is configured but this libphp cannot give: said on the page. */
static void not_traced(const char *what, const char *why)
{
    size_t n = strlen(untraced);

    snprintf(untraced + n, sizeof(untraced) - n, "%s%s: %s", n ? "; " : "", what, why);
    logmsg("warn", "%s unavailable: %s", what, why);
}

/* A PHP built without --enable-dtrace, or stripped (the official Docker
 * images are both), has no USDT notes, but still exports the functions the
 * notes sit in: the request probes go there instead. */
static void check_prerequisites(void)
{
    if (access(BTF_PATH, R_OK) != 0)
        startup_failure("the kernel exposes no BTF (%s: %s); a kernel built with "
                        "CONFIG_DEBUG_INFO_BTF is required, and in a container /sys/kernel/btf "
                        "must be mounted", BTF_PATH, strerror(errno));
    usdt_request = has_php_probe(opt->library, "request__startup")
                   && has_php_probe(opt->library, "request__shutdown");
    phpbpf_libphp_inspect(opt->library, opt->httpd_pid, opt->libphp_base, &php);
    if (!usdt_request && !(php.fn_startup && php.fn_shutdown))
        startup_failure("%s has neither php:request__startup/shutdown USDT probes nor "
                        "php_request_startup/shutdown in its dynamic symbol table: is it PHP?",
                        opt->library);
}

static int attached(struct bpf_link *link, struct bpf_link **out, const char *what, uint32_t bit,
                    int required)
{
    int err = errno;
    const char *hint = err == EACCES || err == EPERM ? " (attaching uprobes needs CAP_SYS_ADMIN)"
                                                     : "";

    *out = link;
    if (!link) {
        if (required)
            startup_failure("cannot attach %s in %s: %s%s", what, opt->library, strerror(err), hint);
        logmsg("warn", "cannot attach %s in %s: %s%s", what, opt->library, strerror(err), hint);
        return -1;
    }
    probes |= bit;
    return 0;
}

/* Once, system-wide (pid -1): the kernel keeps the USDT semaphore up in
 * every process that maps the file, and the programs filter by process. */
static int attach_usdt(struct bpf_program *prog, const char *probe, struct bpf_link **out,
                       uint32_t bit, int required)
{
    char what[64];

    snprintf(what, sizeof(what), "php:%s", probe);
    return attached(bpf_program__attach_usdt(prog, -1, opt->library, "php", probe, NULL), out,
                    what, bit, required);
}

/* A probe on an exported function of libphp, at its entry or its return,
 * found by name in the dynamic symbol table (libbpf reads it). */
static int attach_fn(struct bpf_program *prog, const char *func, int retprobe,
                     struct bpf_link **out, uint32_t bit, int required)
{
    LIBBPF_OPTS(bpf_uprobe_opts, o, .func_name = func, .retprobe = retprobe);
    /* Past an endbr64, which every call runs and which the kernel would
     * single-step; the return address is still on top of the stack there. */
    size_t skip = phpbpf_libphp_endbr(opt->library, func) ? 4 : 0;
    char what[80];

    snprintf(what, sizeof(what), "%s:%s%s", retprobe ? "uretprobe" : "uprobe", func,
             skip ? "+4" : "");
    if (skip)
        logmsg("info", "%s begins with endbr64: probed at %s", func, what);
    return attached(bpf_program__attach_uprobe_opts(prog, -1, opt->library, skip, &o), out, what,
                    bit, required);
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
    else
        phpbpf_tables_event(data, len);
    return 0;
}

static int on_slow_event(void *ctx, void *data, size_t len)
{
    (void)ctx;
    if (len >= sizeof(struct phpbpf_slow_event) && slow_log)
        memcpy(&slow_log->ev[slow_log->n++ % PHPBPF_SLOW_MAX], data, sizeof(struct phpbpf_slow_event));
    return 0;
}

/* The maps with history (bpf/phpbpf_state.bpf.h), which a new helper takes
 * over from this one; .bss holds the counters, the call sites' totals and
 * the generation. */
static unsigned carried(struct bpf_map **m)
{
    unsigned n = 0;

    m[n++] = skel->maps.inflight;
    m[n++] = skel->maps.php_hist;
    m[n++] = skel->maps.vstats;
    m[n++] = skel->maps.cpu_hist;
    m[n++] = skel->maps.wait_hist;
    m[n++] = skel->maps.compile_hist;
    m[n++] = skel->maps.slow_events;
    m[n++] = skel->maps.slow_log;
    m[n++] = skel->maps.table_lost;
    m[n++] = skel->maps.funcs;
    m[n++] = skel->maps.events;
    m[n++] = skel->maps.wait_sites;
    m[n++] = skel->maps.bss;
    return n;
}

/* The defaults first, PhpBpfPeer over them. */
static void fill_peers(void)
{
    int ports = bpf_map__fd(skel->maps.peer_ports), addrs = bpf_map__fd(skel->maps.peer_addrs);
    int paths = bpf_map__fd(skel->maps.peer_unix);
    unsigned i;

    for (i = 0; i < phpbpf_default_npeers + args.npeers; i++) {
        const struct phpbpf_peer *p = i < phpbpf_default_npeers ? &phpbpf_default_peers[i]
                                                                 : &args.peer[i - phpbpf_default_npeers];
        struct phpbpf_peer_key k = { p->kind == PHPBPF_PEER_ADDR6 ? 10 : 2, p->port, { 0 } };
        uint64_t h;
        int err;

        memcpy(k.addr, p->addr, sizeof(k.addr));
        switch (p->kind) {
        case PHPBPF_PEER_PORT:
            err = bpf_map_update_elem(ports, &p->port, &p->wait_class, BPF_ANY);
            break;
        case PHPBPF_PEER_UNIX:
            h = phpbpf_path_hash(p->path, sizeof(p->path));
            err = bpf_map_update_elem(paths, &h, &p->wait_class, BPF_ANY);
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

/* Whether this process is in a user namespace other than the initial one,
 * whose uid_map is the identity over all 2^32 - 1 ids: there, root is root
 * only in the namespace, and the kernel lets no BPF program load. */
static int in_user_namespace(void)
{
    unsigned long inner, outer, count;
    FILE *f = fopen("/proc/self/uid_map", "r");
    int n;

    if (!f)
        return 0;
    n = fscanf(f, "%lu %lu %lu", &inner, &outer, &count);
    fclose(f);
    return n == 3 && !(inner == 0 && outer == 0 && count == 4294967295UL);
}

/* The httpd parent's pid as task_struct has it.  httpd passed its own
 * getpid(), which in a pid namespace (a container) is another number; the
 * helper's parent is httpd (checked at start), so a BPF program run in the
 * helper's context reads it from the kernel itself. */
static void whoami(void)
{
    LIBBPF_OPTS(bpf_test_run_opts, run);
    int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.php_whoami), &run);

    if (err || !skel->bss->httpd_pid)
        startup_failure("cannot read httpd's pid from the kernel: %s", err ? strerror(-err) : "0");
    if ((pid_t)skel->bss->httpd_pid != opt->httpd_pid)
        logmsg("info", "httpd pid %d is pid %u outside its pid namespace", (int)opt->httpd_pid,
               skel->bss->httpd_pid);
}

/* What the verifier went through for each program (the kernel's own
 * count): the bench compares it across kernels, to see growth toward the
 * verifier's limits before a user's kernel refuses a program. */
static void log_verified(void)
{
    struct bpf_program *prog;
    char line[1024] = "";
    size_t n = 0;

    bpf_object__for_each_program(prog, skel->obj) {
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

static void load_and_attach(void)
{
    int err, exc_usdt, exc_fn;

    skel = phpbpf__open();
    if (!skel)
        startup_failure("cannot open the BPF object: %s", strerror(errno));
    skel->rodata->slot_addr = opt->slot;
    {
        struct stat ns;

        /* In a container httpd's pids are not the kernel's: see php_whoami. */
        if (stat("/proc/self/ns/pid", &ns) == 0) {
            skel->rodata->pidns_dev = (__u64)ns.st_dev;
            skel->rodata->pidns_ino = (__u64)ns.st_ino;
        }
    }
    /* Load only what will be attached.  compile_file and the exception
     * are read at this build's offsets of PHP's structures. */
    if (opt->compile && (!php.fn_compile || php.layout_why))
        not_traced("compile tracing", php.layout_why ? php.layout_why
                                                     : "libphp does not export compile_file");
    if (!opt->compile || !php.fn_compile || php.layout_why) {
        bpf_program__set_autoload(skel->progs.php_compile_entry, false);
        bpf_program__set_autoload(skel->progs.php_compile_return, false);
    }
    exc_usdt = has_php_probe(opt->library, "exception__thrown");
    exc_fn = !exc_usdt && php.fn_throw && !php.layout_why;
    if (!exc_usdt && !exc_fn)
        not_traced("exceptions", php.fn_throw ? php.layout_why
                                              : "no php:exception__thrown probe, and libphp does "
                                                "not export zend_throw_exception_internal");
    if (!exc_usdt)
        bpf_program__set_autoload(skel->progs.php_exception_thrown, false);
    if (!exc_fn)
        bpf_program__set_autoload(skel->progs.php_exception_fn, false);
    skel->rodata->usdt_args = usdt_request;
    skel->rodata->sg_addr = php.layout_why ? 0 : php.sg;
    if (opt->slow_us && !usdt_request && !skel->rodata->sg_addr)
        not_traced("the slow log's script, URI and method from PHP",
                   php.layout_why ? php.layout_why : "libphp exports no sapi_globals");
    if (!opt->cpu)
        bpf_program__set_autoload(skel->progs.php_sched_switch, false);
    skel->rodata->cpu_tracing = opt->cpu;
    skel->rodata->slow_us = opt->slow_us;
    {
        struct phpbpf_stacks_cfg sc = { &php, opt->profile_hz,
                                        opt->trace_depth, opt->slow_us, opt->vhosts, opt->cpu,
                                        logmsg };

        phpbpf_stacks_prepare(skel, &sc);
    }
    err = bpf_map__set_max_entries(skel->maps.php_hist, opt->vhosts);
    if (!err)
        err = bpf_map__set_max_entries(skel->maps.vstats, opt->vhosts);
    if (!err)
        err = bpf_map__set_max_entries(skel->maps.cpu_hist, opt->cpu ? opt->vhosts : 1);
    if (!err)
        err = bpf_map__set_max_entries(skel->maps.wait_hist, opt->cpu ? opt->vhosts : 1);
    if (!err)
        err = bpf_map__set_max_entries(skel->maps.compile_hist, opt->compile ? opt->vhosts : 1);
    if (!err)
        err = bpf_map__set_max_entries(skel->maps.table_lost, opt->vhosts);
    if (!err) {
        struct bpf_map *m[PHPBPF_CARRY_MAX];

        /* The maps as sized now; the predecessor's where they fit. */
        carry.rd = args.mailbox[0];
        carry.wr = args.mailbox[1];
        carry.log = logmsg;
        phpbpf_carry_take(&carry, m, carried(m));
        skel->rodata->my_gen = carry.gen;
        err = phpbpf__load(skel);
    }
    if (err)
        startup_failure("the kernel refused the BPF programs: %s%s", strerror(-err),
                        err != -EPERM ? ""
                        : in_user_namespace() ? " (httpd runs in a user namespace, as in a rootless "
                                                "container: BPF needs CAP_BPF, CAP_PERFMON and "
                                                "CAP_SYS_ADMIN in the host's; run the container "
                                                "privileged or with those capabilities)"
                                              : " (the helper needs CAP_BPF and CAP_PERFMON to load, "
                                                "CAP_SYS_ADMIN to attach: start httpd as root with them)");
    whoami();
    log_verified();

    if (usdt_request) {
        attach_usdt(skel->progs.php_request_startup, "request__startup",
                    &skel->links.php_request_startup, PHPBPF_PROBE_REQUEST_STARTUP, 1);
        attach_usdt(skel->progs.php_request_shutdown, "request__shutdown",
                    &skel->links.php_request_shutdown, PHPBPF_PROBE_REQUEST_SHUTDOWN, 1);
    }
    else {
        /* The USDT probes sit at the top of php_request_startup and at the
         * end of php_request_shutdown, after shutdown functions and
         * destructors, which are PHP time too: its return is the same
         * place. */
        attach_fn(skel->progs.php_request_startup, "php_request_startup", 0,
                  &skel->links.php_request_startup, PHPBPF_PROBE_FN_STARTUP, 1);
        attach_fn(skel->progs.php_request_shutdown, "php_request_shutdown", 1,
                  &skel->links.php_request_shutdown, PHPBPF_PROBE_FN_SHUTDOWN, 1);
    }
    /* Exceptions cost a hit only when PHP throws.  They and compile
     * tracing are a bonus: without them the core still works. */
    if (exc_usdt)
        attach_usdt(skel->progs.php_exception_thrown, "exception__thrown",
                    &skel->links.php_exception_thrown, PHPBPF_PROBE_EXC_THROWN, 0);
    else if (exc_fn)
        attach_fn(skel->progs.php_exception_fn, "zend_throw_exception_internal", 0,
                  &skel->links.php_exception_fn, PHPBPF_PROBE_FN_THROW, 0);
    if (bpf_program__autoload(skel->progs.php_compile_entry)
        && attach_fn(skel->progs.php_compile_entry, "compile_file", 0,
                     &skel->links.php_compile_entry, PHPBPF_PROBE_COMPILE_ENTRY, 0) == 0)
        attach_fn(skel->progs.php_compile_return, "compile_file", 1,
                  &skel->links.php_compile_return, PHPBPF_PROBE_COMPILE_RETURN, 0);

    if (opt->cpu) {
        skel->links.php_sched_switch = bpf_program__attach(skel->progs.php_sched_switch);
        if (skel->links.php_sched_switch)
            probes |= PHPBPF_PROBE_SCHED_SWITCH;
        else
            logmsg("warn", "cannot attach sched:sched_switch: %s; no on/off-CPU times",
                   strerror(errno));
    }

    rings = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
    if (!rings || (opt->slow_us && ring_buffer__add(rings, bpf_map__fd(skel->maps.slow_events),
                                                   on_slow_event, NULL) != 0))
        startup_failure("cannot open the ring buffers: %s", strerror(errno));
    phpbpf_stacks_attach(skel, &probes);

    hists = map_array(skel->maps.php_hist, sizeof(struct phpbpf_hist));
    if (opt->cpu) {
        cpus = map_array(skel->maps.cpu_hist, sizeof(struct phpbpf_cpu));
        waits = map_array(skel->maps.wait_hist, sizeof(struct phpbpf_waits));
        fill_peers();
    }
    if (opt->compile)
        compiles = map_array(skel->maps.compile_hist, sizeof(struct phpbpf_hist));
    vstats = map_array(skel->maps.vstats, sizeof(struct phpbpf_vstats));
    snap_room = calloc(opt->vhosts, sizeof(*snap_room));
    bucket_room = calloc((size_t)opt->vhosts * 4 + PHPBPF_SNAP_SCRIPTS,
                         PHPBPF_HIST_BUCKETS * sizeof(*bucket_room));
    if (!snap_room || !bucket_room || phpbpf_tables_init(opt->vhosts, opt->max_scripts) != 0)
        startup_failure("out of memory for %u vhosts and %u scripts", opt->vhosts,
                        opt->max_scripts);
}

/* Attached: the maps into the parent's mailbox for the next helper, the
 * generation switched to ours (the predecessor's programs stop counting
 * at that instant, ours start), and the predecessor stopped. */
static void hand_over(void)
{
    struct bpf_map *m[PHPBPF_CARRY_MAX];
    unsigned n = carried(m);
    void *p = mmap(NULL, sizeof(struct phpbpf_slow_log), PROT_READ | PROT_WRITE, MAP_SHARED,
                   bpf_map__fd(skel->maps.slow_log), 0);

    if (p == MAP_FAILED)
        startup_failure("cannot map slow_log: %s", strerror(errno));
    slow_log = p;
    p = mmap(NULL, (size_t)opt->vhosts * sizeof(struct phpbpf_table_lost), PROT_READ | PROT_WRITE,
             MAP_SHARED, bpf_map__fd(skel->maps.table_lost), 0);
    if (p == MAP_FAILED)
        startup_failure("cannot map table_lost: %s", strerror(errno));
    phpbpf_tables_sink(p);
    phpbpf_stacks_sink((uint64_t *)&((struct phpbpf_table_lost *)p)->stacks,
                       sizeof(struct phpbpf_table_lost) / sizeof(uint64_t));
    if (phpbpf_carry_give(&carry, m, n) != 0)
        logmsg("warn", "PHP-side counters will not outlive this helper");
    if (!carry.reused)
        skel->bss->php_since_us = now_us();
    __atomic_store_n(&skel->bss->active_gen, carry.gen, __ATOMIC_SEQ_CST);
    phpbpf_carry_retire(&carry);
}

/* The socket in a directory only root can write (sockdir.h says why),
 * then given to the User without following a link. */
static void open_socket(void)
{
    char dir[sizeof(((struct sockaddr_un *)0)->sun_path)], why[1024];
    size_t n = strlen(opt->socket), tail = strlen("/" PHPBPF_SOCK_FILE);
    int dfd;

    if (n >= sizeof(dir) || n <= tail || strcmp(opt->socket + n - tail, "/" PHPBPF_SOCK_FILE) != 0)
        startup_failure("bad socket path %s", opt->socket);
    memcpy(dir, opt->socket, n - tail);
    dir[n - tail] = '\0';
    if ((dfd = phpbpf_sockdir_make(dir, why, sizeof(why))) < 0)
        startup_failure("%s", why);
    listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (listen_fd < 0)
        startup_failure("socket: %s", strerror(errno));
    if (phpbpf_sockdir_bind(dfd, listen_fd, opt->uid, opt->gid) != 0)
        startup_failure("cannot bind %s for uid %u: %s", opt->socket, (unsigned)opt->uid,
                        strerror(errno));
    close(dfd);
    if (listen(listen_fd, 128) != 0)
        startup_failure("listen on %s: %s", opt->socket, strerror(errno));
}

/* Everything privileged is done: links, maps and the socket are open
 * descriptors now, and using them needs no capability and no particular
 * uid.  So become "nobody" with no capabilities at all: not root, whose
 * files a compromised helper could still write, and not Apache's User,
 * whose processes (PHP code included) could then signal or trace it. */
static void drop_privileges(void)
{
    struct passwd *pw = getpwnam("nobody");
    uid_t uid = pw ? pw->pw_uid : 65534;
    gid_t gid = pw ? pw->pw_gid : 65534;
    cap_t none;
    cap_value_t c;

    for (c = 0; c <= CAP_LAST_CAP; c++)
        if (cap_drop_bound(c) != 0 && errno != EINVAL)
            startup_failure("cannot drop capability %d from the bounding set: %s",
                            (int)c, strerror(errno));
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
    if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0
        || setresuid(uid, uid, uid) != 0)
        startup_failure("cannot switch to user nobody: %s", strerror(errno));
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        startup_failure("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
    none = cap_init();
    if (!none || cap_set_proc(none) != 0)
        startup_failure("cannot drop capabilities: %s", strerror(errno));
    cap_free(none);
    /* setresuid() already makes us undumpable; say so for clarity. */
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}

/* Straight from the maps' memory into the sparse form the reply sends:
 * each histogram is read once, whole copies of them (4 KB each) were most
 * of a snapshot's cost. */
static void take_snapshot(struct phpbpf_snapshot *s)
{
    /* What the programs sent until now, in. */
    ring_buffer__consume(rings);
    const volatile __u64 *c = (const volatile __u64 *)&skel->bss->counters;
    struct phpbpf_sparse_bucket *b = bucket_room;
    unsigned int i;

    memset(s, 0, sizeof(*s));
    s->state = PHPBPF_STATE_ACTIVE;
    s->helper_pid = (uint32_t)getpid();
    s->started_us = started_us;
    s->php_since_us = skel->bss->php_since_us;
    s->now_us = now_us();
    s->generation = generation;
    s->probes = probes;
    snprintf(s->untraced, sizeof(s->untraced), "%s", untraced);
    for (i = 0; i < PHPBPF_NCOUNTERS; i++)
        s->counters[i] = c[i];
    snprintf(s->library, sizeof(s->library), "%s", opt->library);
    s->vhosts = snap_room;
    for (i = 0; i < opt->vhosts; i++) {
        struct phpbpf_snap_vhost *v = &snap_room[s->nvhosts];

        if (!hists[i].count && !vstats[i].compiles && !vstats[i].exc_thrown && !vstats[i].lost)
            continue;
        memset(v, 0, sizeof(*v));
        v->idx = i;
        b += phpbpf_sparse_from(&v->php, &hists[i], b);
        v->v = vstats[i];
        if (cpus && (probes & PHPBPF_PROBE_SCHED_SWITCH)) {
            b += phpbpf_sparse_from(&v->cpu.on, &cpus[i].on, b);
            b += phpbpf_sparse_from(&v->cpu.off, &cpus[i].off, b);
            v->has_waits = 1;
            v->waits = waits[i];
        }
        if (compiles)
            b += phpbpf_sparse_from(&v->compile, &compiles[i], b);
        s->nvhosts++;
    }
    phpbpf_tables_snapshot(s);
    s->window_s = opt->window_s;
    s->window_since_us = period_start[1] ? period_start[1] : started_us;
    if (opt->slow_us) {
        uint64_t k, n, have;

        n = slow_log->n;
        have = n < opt->slow_size ? n : opt->slow_size;
        for (k = 0; k < have; k++)      /* newest first */
            slow_out[k] = slow_log->ev[(n - 1 - k) % PHPBPF_SLOW_MAX];
        s->slow = slow_out;
        s->nslow = (uint32_t)have;
    }
    phpbpf_stacks_snapshot(s);
}

/* The parent writes "generation N" after every graceful or plain restart;
 * the counters stay, since the vhost table indexes never change meaning. */
static int read_parent(void)
{
    char buf[256];
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf) - 1);
    unsigned int g;

    if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
        return -1;
    if (n < 0)
        return 0;
    buf[n] = '\0';
    for (char *save, *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        if (sscanf(line, "generation %u", &g) == 1) {
            generation = g;
            logmsg("info", "Apache generation %u: counters kept", g);
        }
    return 0;
}

static int on_parent(void)
{
    if (read_parent() != 0) {
        logmsg("info", "httpd parent went away; stopping");
        return 1;
    }
    return 0;
}

static int sig_fd = -1;

static int on_signal(void)
{
    logmsg("info", "stopping on signal");
    return 1;
}

static int on_slow(void)
{
    ring_buffer__consume(rings);
    return 0;
}

static int on_timer(void)
{
    phpbpf_stacks_tick();
    return 0;
}

/* A new period of the tables (PhpBpfWindow / 2). */
static int period_fd = -1;

static int on_period(void)
{
    uint64_t expirations;

    if (read(period_fd, &expirations, sizeof(expirations)) < 0)
        return 0;
    ring_buffer__consume(rings);
    phpbpf_stacks_age();
    phpbpf_tables_age();
    period_start[1] = period_start[0];
    period_start[0] = now_us();
    return 0;
}

static void start_periods(void)
{
    unsigned half = opt->window_s / 2 ? opt->window_s / 2 : 1;
    struct itimerspec its = { { half, 0 }, { half, 0 } };

    period_start[0] = started_us;
    period_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (period_fd < 0 || timerfd_settime(period_fd, 0, &its, NULL) != 0)
        startup_failure("cannot start the tables' period timer: %s", strerror(errno));
}

static int serve(void)
{
    static const struct phpbpf_serve_cfg sc = { 0, 0, take_snapshot, logmsg };
    struct phpbpf_serve_cfg c = sc;
    sigset_t sigs;

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
    if (sig_fd < 0)
        startup_failure("signalfd: %s", strerror(errno));
    c.uid = opt->uid;
    c.httpd_pid = opt->httpd_pid;
    phpbpf_serve_watch(sig_fd, on_signal);
    phpbpf_serve_watch(STDIN_FILENO, on_parent);
    phpbpf_serve_watch(ring_buffer__epoll_fd(rings), on_slow);
    phpbpf_serve_watch(phpbpf_stacks_timer_fd(), on_timer);
    start_periods();
    phpbpf_serve_watch(period_fd, on_period);
    return phpbpf_serve(listen_fd, &c);
}

int main(int argc, char **argv)
{
    int rc;

    phpbpf_args_mailbox(argc, argv, &args);
    sanitize_process();
    phpbpf_args_parse(argc, argv, &args);
    phpbpf_log_setup(opt->use_syslog, opt->debug);
    if (opt->use_syslog)
        openlog("phpbpf-helper", LOG_PID, LOG_DAEMON);
    if ((uint64_t)getppid() != opt->httpd_pid)
        startup_failure("parent is not httpd pid %d", (int)opt->httpd_pid);
    libbpf_set_print(phpbpf_libbpf_log);
    if (opt->delay_s)
        sleep(opt->delay_s);
    check_prerequisites();
    load_and_attach();
    hand_over();
    open_socket();
    drop_privileges();
    started_us = now_us();
    {
        static const char *const names[] = { PHPBPF_PROBE_NAMES };
        char list[512] = "";
        size_t n = 0;
        unsigned k;

        for (k = 0; k < PHPBPF_NPROBES; k++)
            if (probes & (1u << k))
                n += (size_t)snprintf(list + n, n < sizeof(list) ? sizeof(list) - n : 0, "%s%s",
                                      n ? " " : "", names[k]);
        logmsg("notice", "tracing %s (%s) for httpd pid %d, %u vhost slots; socket %s",
               opt->library, list, (int)opt->httpd_pid, opt->vhosts, opt->socket);
    }

    rc = serve();

    /* As nobody we may not remove the socket from root's directory: the
     * httpd parent does, when it reaps us. */
    ring_buffer__free(rings);
    phpbpf__destroy(skel);
    return rc;
}
