/* The helper's command line and identity.  APR's formatter is not C's:
 * it knows no %ll, %z or %j (Debian 12's libapr 1.7.2 prints "%llx" as the
 * text "%lx" and leaves the argument for the next conversion), so every
 * 64-bit value goes through APR's own APR_UINT64_T_*FMT macros. */
#include "apr_strings.h"

#include "cmdline.h"
#include "shm.h"
#include "snapshot.h"

int phpbpf_helper_arg(apr_pool_t *p, const char **argv, int n, const struct phpbpf_options *o,
                      int i)
{
    const void *f = phpbpf_opt_at(o, i);
    const char *flag = apr_pstrcat(p, "--", phpbpf_opts[i].flag, NULL);
    const struct phpbpf_opt_list *l;
    uint64_t v;
    unsigned k;

    switch (phpbpf_opts[i].kind) {
    case PHPBPF_KIND_STR:
        if (*(const char *const *)f) {
            argv[n++] = flag;
            argv[n++] = *(const char *const *)f;
        }
        break;
    case PHPBPF_KIND_NUM:
    case PHPBPF_KIND_ADDR:
        if ((v = *(const uint64_t *)f) != 0) {
            argv[n++] = flag;
            argv[n++] = apr_psprintf(p, phpbpf_opts[i].kind == PHPBPF_KIND_ADDR
                                        ? "0x%" APR_UINT64_T_HEX_FMT : "%" APR_UINT64_T_FMT,
                                     (apr_uint64_t)v);
        }
        break;
    case PHPBPF_KIND_ON:
        if (*(const int *)f)
            argv[n++] = flag;
        break;
    case PHPBPF_KIND_LIST:
        l = f;
        for (k = 0; k < l->n && k < PHPBPF_OPT_LIST_MAX; k++) {
            argv[n++] = flag;
            argv[n++] = l->v[k];
        }
        break;
    }
    argv[n] = NULL;
    return n;
}

const char **phpbpf_helper_argv(apr_pool_t *p, const char *helper,
                                const struct phpbpf_options *o)
{
    const char **argv = apr_pcalloc(p, PHPBPF_MAX_ARGS * sizeof(char *));
    int n = 0, i;

    argv[n++] = helper;
    for (i = 0; i < PHPBPF_NOPTS; i++)
        n = phpbpf_helper_arg(p, argv, n, o, i);
    return argv;
}

const char *phpbpf_helper_identity(apr_pool_t *p, const char *lib_identity,
                                   const char *const *argv)
{
    const char *id = apr_psprintf(p, "%s proto=%d shm=%" APR_UINT64_T_HEX_FMT, lib_identity,
                                  PHPBPF_PROTO_VERSION, (apr_uint64_t)PHPBPF_SHM_MAGIC);
    int i;

    for (i = 0; argv[i]; i++)
        if (i != PHPBPF_ARG_LIBRARY)
            id = apr_pstrcat(p, id, " ", argv[i], NULL);
    return id;
}
