/* The helper's command line.  getopt_long's table is built from
 * common/options.h, the one the module writes the line from, so a flag is
 * spelled once for both. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE             /* vasprintf; APR's flags define it too */
#endif
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "log.h"
#include "snapshot.h"

/* getopt_long's val for option i: past every char. */
#define OPT_VAL(i) (256 + (i))

static void usage(void)
{
    char line[1024] = "usage: phpbpf-helper";
    int i;

    for (i = 0; i < PHPBPF_NOPTS; i++)
        snprintf(line + strlen(line), sizeof(line) - strlen(line), " --%s%s%s",
                 phpbpf_opts[i].flag, phpbpf_opts[i].kind == PHPBPF_KIND_ON ? "" : " V",
                 phpbpf_opts[i].kind == PHPBPF_KIND_LIST ? " ..." : "");
    startup_failure("%s", line);
}

static uint64_t number(const char *s, const char *flag)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 0);
    if (errno || !*s || *end || s[0] == '-')
        startup_failure("bad number for --%s: '%s'", flag, s);
    return (uint64_t)v;
}

void phpbpf_args_mailbox(int argc, char **argv, struct phpbpf_helper_args *a)
{
    const char *flag = phpbpf_opts[PHPBPF_OPT_mailbox].flag;
    int i, rd, wr;

    a->mailbox[0] = a->mailbox[1] = -1;
    for (i = 1; i + 1 < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] == '-' && strcmp(argv[i] + 2, flag) == 0
            && sscanf(argv[i + 1], "%d,%d", &rd, &wr) == 2 && rd > 2 && wr > 2 && rd != wr) {
            a->mailbox[0] = rd;
            a->mailbox[1] = wr;
        }
}

/* --peer WHERE=CLASS, as the module checked PhpBpfPeer. */
static void peers(struct phpbpf_helper_args *a)
{
    const struct phpbpf_opt_list *l = &a->o.peer;
    unsigned i;

    if (l->n > sizeof(a->peer) / sizeof(a->peer[0]))
        startup_failure("more than %u --peer", (unsigned)(sizeof(a->peer) / sizeof(a->peer[0])));
    for (i = 0; i < l->n; i++) {
        char where[256];
        const char *arg = l->v[i], *eq = strrchr(arg, '='), *why;

        if (!eq || (size_t)(eq - arg) >= sizeof(where))
            startup_failure("bad --peer '%s'", arg);
        memcpy(where, arg, (size_t)(eq - arg));
        where[eq - arg] = '\0';
        if ((why = phpbpf_peer_parse(where, eq + 1, &a->peer[a->npeers])) != NULL)
            startup_failure("bad --peer '%s': %s", arg, why);
        a->npeers++;
    }
}

void phpbpf_args_parse(int argc, char **argv, struct phpbpf_helper_args *a)
{
    struct option longopts[PHPBPF_NOPTS + 1];
    struct phpbpf_options *o = &a->o;
    int c, i;

    memset(longopts, 0, sizeof(longopts));
    for (i = 0; i < PHPBPF_NOPTS; i++) {
        longopts[i].name = phpbpf_opts[i].flag;
        longopts[i].has_arg = phpbpf_opts[i].kind == PHPBPF_KIND_ON ? no_argument
                                                                    : required_argument;
        longopts[i].val = OPT_VAL(i);
    }
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        void *f;

        if (c < OPT_VAL(0) || c >= OPT_VAL(PHPBPF_NOPTS))
            usage();
        i = c - OPT_VAL(0);
        f = phpbpf_opt_at(o, i);
        switch (phpbpf_opts[i].kind) {
        case PHPBPF_KIND_STR:
            *(const char **)f = optarg;
            break;
        case PHPBPF_KIND_NUM:
        case PHPBPF_KIND_ADDR:
            *(uint64_t *)f = number(optarg, phpbpf_opts[i].flag);
            break;
        case PHPBPF_KIND_ON:
            *(int *)f = 1;
            break;
        case PHPBPF_KIND_LIST: {
            struct phpbpf_opt_list *l = f;

            if (l->n >= PHPBPF_OPT_LIST_MAX)
                startup_failure("more than %d --%s", PHPBPF_OPT_LIST_MAX, phpbpf_opts[i].flag);
            l->v[l->n++] = optarg;
            break;
        }
        }
    }
    {
        char *nonce = getenv(PHPBPF_FPM_NONCE_ENV);

        if (nonce) {
            a->fpm_nonce = strtoull(nonce, NULL, 16);
            /* The text in place, which /proc/PID/environ reads. */
            memset(nonce - sizeof(PHPBPF_FPM_NONCE_ENV), 0, sizeof(PHPBPF_FPM_NONCE_ENV) + strlen(nonce));
        }
    }
    if (!o->library || (!*o->library && !o->fpm.n) || o->fpm.n > PHPBPF_FPM_MAX || !o->socket || !o->build || !o->httpd_pid || !o->slot || o->vhosts < 2
        || o->vhosts > PHPBPF_MAX_VHOSTS || optind != argc)
        usage();
    /* The module and the helper share the slot, the protocol and the BPF
     * maps' meaning: a pair from two builds (one file upgraded, not the
     * other) must say so rather than trace wrongly. */
    if (strcmp(o->build, PHPBPF_BUILD_ID) != 0)
        startup_failure("the helper (build %s) and mod_phpbpf (build %s) are from different "
                        "builds; install both from the same one", PHPBPF_BUILD_ID, o->build);
    if (o->profile_hz > PHPBPF_MAX_PROFILE_HZ || o->trace_depth > PHPBPF_STACK_MAX
        || o->max_scripts > PHPBPF_MAX_MAX_SCRIPTS || o->slow_size > PHPBPF_SLOW_MAX
        || (o->window_s && (o->window_s < PHPBPF_MIN_WINDOW_S
                            || o->window_s > PHPBPF_MAX_WINDOW_S)))
        usage();
    if (!o->max_scripts)
        o->max_scripts = PHPBPF_DEFAULT_MAX_SCRIPTS;
    if (!o->window_s)
        o->window_s = PHPBPF_DEFAULT_WINDOW_S;
    if (!o->slow_size)
        o->slow_size = PHPBPF_DEFAULT_SLOW_SIZE;
    peers(a);
}
