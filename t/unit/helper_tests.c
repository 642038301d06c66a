/* What the helper is started with and reads: its command line both ways
 * (mod_phpbpf/cmdline.c, helper/args.c), libphp's ELF (helper/libphp_elf.c)
 * and the socket I/O both ends share (common/sockio.c). */
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "args.h"
#include "cmdline.h"
#include "helper_tests.h"
#include "libphp_elf.h"
#include "shm.h"
#include "snapshot.h"
#include "sockio.h"
#include "tap.h"

static const char *joined(apr_pool_t *p, const char *const *argv)
{
    const char *line = "";
    int i;

    for (i = 0; argv[i]; i++)
        line = i ? apr_pstrcat(p, line, " ", argv[i], NULL) : argv[0];
    return line;
}

static void test_helper_args(void)
{
    struct phpbpf_options o = {
        .library = "/x/libphp.so", .socket = "/run/apache2/phpbpf.42/sock",
        .build = "0123456789abcdef", .uid = 33, .gid = 33, .httpd_pid = 42,
        .slot = 0x7f12345678abULL, .vhosts = 1024, .slow_us = 5000000000ULL, .slow_size = 20,
        .window_s = 600,
    };
    const char *want = "/usr/lib/apache2/phpbpf-helper --library /x/libphp.so "
                       "--socket /run/apache2/phpbpf.42/sock --build 0123456789abcdef "
                       "--uid 33 --gid 33 --httpd-pid 42 --slot 0x7f12345678ab --vhosts 1024 "
                       "--slow-us 5000000000 --slow-log 20 --window-s 600";
    const char *const *argv;
    const char *line, *id, *id2, *magic;
    apr_pool_t *p;
    char shm[64];

    apr_initialize();
    apr_pool_create(&p, NULL);
    argv = phpbpf_helper_argv(p, "/usr/lib/apache2/phpbpf-helper", &o);
    line = joined(p, argv);
    ok(strcmp(line, want) == 0, "helper command line: %s", line);
    ok(strcmp(argv[PHPBPF_ARG_LIBRARY], o.library) == 0, "the library is where the identity skips it");
    id = phpbpf_helper_identity(p, "dev=8:1 ino=99", argv);
    snprintf(shm, sizeof(shm), " shm=%llx ", (unsigned long long)PHPBPF_SHM_MAGIC);
    ok(strstr(id, shm) != NULL, "the identity names the shared-memory layout as hex: %s", id);
    ok(strstr(id, "%") == NULL, "no conversion is left unformatted in the identity");
    ok(strncmp(id, "dev=8:1 ino=99 proto=", 21) == 0, "the identity starts with the file's identity");
    ok(strstr(id, "/x/libphp.so") == NULL && strstr(id, "--build 0123456789abcdef") != NULL,
       "the identity has the build but not the library's path");
    o.library = "/proc/1/map_files/7f00-7f01";
    id2 = phpbpf_helper_identity(p, "dev=8:1 ino=99",
                                 phpbpf_helper_argv(p, "/usr/lib/apache2/phpbpf-helper", &o));
    ok(strcmp(id, id2) == 0, "another path to the same file keeps the identity");
    o.build = "fedcba9876543210";
    id2 = phpbpf_helper_identity(p, "dev=8:1 ino=99",
                                 phpbpf_helper_argv(p, "/usr/lib/apache2/phpbpf-helper", &o));
    ok(strcmp(id, id2) != 0, "another build changes it");
    magic = apr_psprintf(p, "%" APR_UINT64_T_HEX_FMT, (apr_uint64_t)0x70687073686d0004ULL);
    ok(strcmp(magic, "70687073686d0004") == 0, "APR_UINT64_T_HEX_FMT formats 64 bits (%s)", magic);
    apr_pool_destroy(p);
    apr_terminate();
}

/* The module writes the helper's command line and the helper reads it,
 * both from common/options.h: every kind of setting, written and read
 * back, is the same setting, and the spawn's own two are added the same
 * way. */
static void test_helper_args_roundtrip(void)
{
    struct phpbpf_options o = {
        .library = "/x/libphp.so", .socket = "/run/apache2/phpbpf.42/sock",
        .build = PHPBPF_BUILD_ID, .uid = 33, .gid = 34, .httpd_pid = 42,
        .slot = 0x7f12345678abULL, .vhosts = 4096, .libphp_base = 0x7f0000001000ULL, .cpu = 1,
        .slow_us = 500000, .slow_size = 256, .trace_depth = 64, .profile_hz = 999,
        .peer = { { "10.0.0.5:3307=mysql", "unix:/run/db.sock=pgsql", "[::1]:6380=redis" }, 3 },
        .compile = 1, .max_scripts = 8192, .window_s = 86400, .debug = 1, .use_syslog = 1,
    };
    struct phpbpf_options spawn = { .delay_s = 8, .mailbox = "7,8" };
    struct phpbpf_helper_args a;
    const char **argv;
    const char *line, *back;
    apr_pool_t *p;
    int n = 0, i, same = 1;

    apr_initialize();
    apr_pool_create(&p, NULL);
    argv = phpbpf_helper_argv(p, "phpbpf-helper", &o);
    while (argv[n])
        n++;
    n = phpbpf_helper_arg(p, argv, n, &spawn, PHPBPF_OPT_delay_s);
    n = phpbpf_helper_arg(p, argv, n, &spawn, PHPBPF_OPT_mailbox);
    line = joined(p, argv);
    ok(strstr(line, " --delay 8 --mailbox 7,8") != NULL && argv[n] == NULL,
       "a spawn adds its backoff and mailbox: %s", line);

    memset(&a, 0, sizeof(a));
    optind = 0;                 /* glibc: start over, as a fresh process does */
    phpbpf_args_mailbox(n, (char **)argv, &a);
    phpbpf_args_parse(n, (char **)argv, &a);
    back = joined(p, (const char *const *)phpbpf_helper_argv(p, "phpbpf-helper", &a.o));
    for (i = 0; i < PHPBPF_NOPTS && same; i++)
        if (phpbpf_opts[i].kind == PHPBPF_KIND_NUM || phpbpf_opts[i].kind == PHPBPF_KIND_ADDR)
            same = *(uint64_t *)phpbpf_opt_at(&a.o, i)
                   == *(uint64_t *)phpbpf_opt_at(i == PHPBPF_OPT_delay_s ? &spawn : &o, i);
    ok(same, "every number and address reads back as written (the last compared: --%s)",
       phpbpf_opts[i - 1].flag);
    ok(strstr(line, back + strlen("phpbpf-helper")) != NULL,
       "the helper's reading of it writes the same line: %s", back);
    ok(a.npeers == 3 && a.peer[2].port == 6380 && a.mailbox[0] == 7 && a.mailbox[1] == 8,
       "the peers are parsed (%u) and the mailbox found (%d,%d)", a.npeers, a.mailbox[0],
       a.mailbox[1]);
    apr_pool_destroy(p);
    apr_terminate();
}

/* libphp's ELF, the one reader of it (helper/libphp_elf.c), on Debian's
 * real libphp, which the suite runs on (conf/debian-packages). */
static void test_libphp_elf(void)
{
    const char *lib = "/usr/lib/apache2/modules/libphp8.2.so";
    struct phpbpf_libphp php;

    ok(phpbpf_libphp_has_usdt(lib, "request__startup") == 1
       && phpbpf_libphp_has_usdt(lib, "exception__thrown") == 1,
       "Debian's libphp has the USDT notes php:request__startup and php:exception__thrown");
    ok(phpbpf_libphp_has_usdt(lib, "request__startu") == 0
       && phpbpf_libphp_has_usdt(lib, "no__such__probe") == 0,
       "a probe it does not have, or a prefix of one, is not found");
    ok(phpbpf_libphp_has_usdt("/etc/hostname", "request__startup") == -1
       && phpbpf_libphp_has_usdt("/nonexistent/libphp.so", "request__startup") == -1,
       "a file that is not ELF, or is not there, is -1");
    phpbpf_libphp_inspect(lib, 1, 0x7f0000000000ULL, &php);
    ok(php.fn_startup && php.fn_shutdown && php.fn_compile && php.fn_throw && !php.layout_why
       && php.eg > 0x7f0000000000ULL && php.sg > 0x7f0000000000ULL && php.ex_hi > php.ex_lo,
       "its dynamic symbols: the request functions, compile_file, the globals placed at the base "
       "given (%s)", php.layout_why ? php.layout_why : "layout fits");
}

/* Socket I/O with a deadline (common/sockio.c), both ends' one helper. */
static void test_sockio(void)
{
    char buf[32] = "", got[32] = "";
    size_t off = 0;
    int sv[2], rc;
    int64_t t0;
    pid_t pid;

    signal(SIGPIPE, SIG_IGN);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    ok(phpbpf_io_some(sv[0], 0, got, 4, &off) == PHPBPF_IO_AGAIN && off == 0,
       "nothing to read yet: again, nothing moved");
    ok(phpbpf_io_until(sv[1], 1, "abcd", 4, phpbpf_now_ms() + 1000) == PHPBPF_IO_DONE
       && phpbpf_io_until(sv[0], 0, got, 4, phpbpf_now_ms() + 1000) == PHPBPF_IO_DONE
       && memcmp(got, "abcd", 4) == 0, "four bytes written and read whole");
    t0 = phpbpf_now_ms();
    rc = phpbpf_io_until(sv[0], 0, got, 4, t0 + 50);
    ok(rc == PHPBPF_IO_ERROR && phpbpf_now_ms() - t0 >= 50,
       "nothing comes: an error at the deadline (%lld ms)", (long long)(phpbpf_now_ms() - t0));
    /* A peer that sends a byte every 40 ms: each byte comes well within
     * any one wait, the whole never within the deadline. */
    if ((pid = fork()) == 0) {
        int i;

        for (i = 0; i < 20; i++) {
            usleep(40000);
            if (write(sv[1], "x", 1) != 1)
                break;
        }
        _exit(0);
    }
    t0 = phpbpf_now_ms();
    rc = phpbpf_io_until(sv[0], 0, buf, 20, t0 + 200);
    ok(rc == PHPBPF_IO_ERROR && phpbpf_now_ms() - t0 < 700,
       "a slow drip does not stretch the deadline: error after %lld ms, not 800",
       (long long)(phpbpf_now_ms() - t0));
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    close(sv[1]);
    while (phpbpf_io_until(sv[0], 0, buf, 1, phpbpf_now_ms() + 100) == PHPBPF_IO_DONE)
        ;                       /* what the drip sent before it was stopped */
    off = 0;
    ok(phpbpf_io_some(sv[0], 0, buf, 4, &off) == PHPBPF_IO_EOF,
       "the peer closed: end of file, not an error");
    close(sv[0]);
}

void helper_tests(void)
{
    test_helper_args();
    test_helper_args_roundtrip();
    test_libphp_elf();
    test_sockio();
}
