/* The helper's command line and identity.  APR's formatter is not C's:
 * it knows no %ll, %z or %j (Debian 12's libapr 1.7.2 prints "%llx" as the
 * text "%lx" and leaves the argument for the next conversion), so every
 * 64-bit value goes through APR's own APR_UINT64_T_*FMT macros. */
#include "apr_strings.h"

#include "cmdline.h"
#include "shm.h"
#include "snapshot.h"

const char *const *phpbpf_helper_argv(apr_pool_t *p, const struct phpbpf_helper_settings *s)
{
    const char **argv = apr_pcalloc(p, PHPBPF_MAX_ARGS * sizeof(char *));
    int n = 0, i;

    argv[n++] = s->helper;
    argv[n++] = "--library";   argv[n++] = s->library;
    argv[n++] = "--socket";    argv[n++] = s->socket;
    argv[n++] = "--build";     argv[n++] = s->build;
    argv[n++] = "--uid";       argv[n++] = apr_ltoa(p, s->uid);
    argv[n++] = "--gid";       argv[n++] = apr_ltoa(p, s->gid);
    argv[n++] = "--httpd-pid"; argv[n++] = apr_ltoa(p, s->httpd_pid);
    argv[n++] = "--slot";      argv[n++] = apr_psprintf(p, "0x%" APR_UINT64_T_HEX_FMT, s->slot);
    argv[n++] = "--vhosts";    argv[n++] = apr_psprintf(p, "%u", s->vhosts);
    if (s->libphp_base) {
        argv[n++] = "--libphp-base";
        argv[n++] = apr_psprintf(p, "0x%" APR_UINT64_T_HEX_FMT, s->libphp_base);
    }
    if (s->cpu)
        argv[n++] = "--cpu";
    if (s->slow_us > 0) {
        argv[n++] = "--slow-us";
        argv[n++] = apr_psprintf(p, "%" APR_INT64_T_FMT, s->slow_us);
        argv[n++] = "--slow-log";
        argv[n++] = apr_itoa(p, s->slow_size);
        if (s->trace_depth) {
            argv[n++] = "--trace-depth";
            argv[n++] = apr_itoa(p, s->trace_depth);
        }
    }
    if (s->profile_hz) {
        argv[n++] = "--profile-hz";
        argv[n++] = apr_itoa(p, s->profile_hz);
    }
    for (i = 0; i < s->npeers && n < PHPBPF_MAX_ARGS - 24; i++) {
        argv[n++] = "--peer";
        argv[n++] = s->peers[i];
    }
    if (s->compile) {
        argv[n++] = "--compile";
        argv[n++] = "--max-scripts";
        argv[n++] = apr_itoa(p, s->max_scripts);
    }
    argv[n++] = "--window-s";
    argv[n++] = apr_itoa(p, s->window_s);
    if (s->debug)
        argv[n++] = "--debug";
    if (s->syslog)
        argv[n++] = "--syslog";  /* ErrorLog syslog: no file to hand over */
    argv[n] = NULL;
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
