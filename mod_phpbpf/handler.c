/* The server-bpf handler: options, the helper's snapshot and a copy of
 * the shared memory, the report, the format, the status code.  And the
 * section this module adds to /server-status. */
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "mod_status.h"
#include "apr_strings.h"

#include "client.h"
#include "config.h"
#include "handler.h"
#include "render.h"
#include "report_build.h"
#include "state.h"

enum phpbpf_format { PHPBPF_FMT_HTML, PHPBPF_FMT_AUTO, PHPBPF_FMT_JSON, PHPBPF_FMT_METRICS,
                     PHPBPF_FMT_PROFILE };

struct args {
    enum phpbpf_format fmt;
    int refresh;
    const char *vhost;            /* ?profile=VHOST, unescaped; NULL: all */
};

/* mod_status-style options: a small table, and refresh takes digits only
 * (mod_status's refresh XSS is why). */
static int parse_args(request_rec *r, struct args *a, const char **err)
{
    char *args, *tok, *last;
    enum phpbpf_format *fmt = &a->fmt;
    int *refresh = &a->refresh;

    *fmt = PHPBPF_FMT_HTML;
    *refresh = 0;
    a->vhost = NULL;
    if (!r->args)
        return 0;
    args = apr_pstrdup(r->pool, r->args);
    for (tok = apr_strtok(args, "&;", &last); tok; tok = apr_strtok(NULL, "&;", &last)) {
        /* "metrics=" too: Prometheus' params: {metrics: [""]} sends that. */
        size_t n = strcspn(tok, "=");

        if (n == 4 && strncmp(tok, "auto", 4) == 0)
            *fmt = PHPBPF_FMT_AUTO;
        else if (n == 4 && strncmp(tok, "json", 4) == 0)
            *fmt = PHPBPF_FMT_JSON;
        else if (n == 7 && strncmp(tok, "metrics", 7) == 0)
            *fmt = PHPBPF_FMT_METRICS;
        else if (n == 7 && strncmp(tok, "profile", 7) == 0) {
            *fmt = PHPBPF_FMT_PROFILE;
            if (tok[7] == '=' && tok[8]) {
                char *v = apr_pstrdup(r->pool, tok + 8);

                if (ap_unescape_url(v) != OK || strlen(v) >= 256) {
                    *err = "profile takes a vhost name, such as ?profile=www.example.com:80";
                    return -1;
                }
                a->vhost = v;
            }
        }
        else if (strncmp(tok, "refresh=", 8) == 0) {
            const char *d = tok + 8;
            long n;

            if (!*d || strspn(d, "0123456789") != strlen(d) || strlen(d) > 5
                || (n = atol(d)) < 1 || n > 86400) {
                *err = "refresh must be a number of seconds from 1 to 86400";
                return -1;
            }
            *refresh = (int)n;
        }
        /* Unknown options are ignored, as mod_status does, so cache
         * busters and old bookmarks keep working. */
    }
    return 0;
}

static const char *state_reason(const struct phpbpf_shared *sh)
{
    switch (sh->helper_state) {
    case PHPBPF_HELPER_OFF: return "PhpBpf Off";
    case PHPBPF_HELPER_FAILED: return sh->reason[0] ? sh->reason : "the helper failed";
    default: return NULL;
    }
}

static void to_apache(void *r, const char *p, size_t n)
{
    ap_rwrite(p, (int)n, r);
}

/* The copy of the segment, the helper's snapshot if it should and could
 * give one, and the report of both. */
static struct phpbpf_report *report(request_rec *r, int quantiles)
{
    phpbpf_proc *st = phpbpf_st;
    struct phpbpf_shm_copy copy;
    struct phpbpf_snapshot *snap = NULL;
    const char *unavailable, *err = NULL;
    apr_time_t now = apr_time_now();
    struct phpbpf_report *rep;
    int fd = -1, unreachable = 0;

    /* Asked first, the helper takes its snapshot while this child copies
     * the shared table: with a thousand vhosts each takes a millisecond
     * or more, and the machine has another CPU. */
    if (!state_reason(st->sh))
        fd = phpbpf_client_ask(r, st->socket_path, st->parent_pid, (pid_t)st->sh->helper_pid,
                               st->sh->helper_state == PHPBPF_HELPER_STARTING, &err);
    phpbpf_shm_copy(&copy, st->sh, r->pool);
    unavailable = state_reason(copy.sh);
    if (unavailable && fd >= 0)
        close(fd);
    if (!unavailable) {
        snap = apr_pcalloc(r->pool, sizeof(*snap));
        if (fd < 0 && !err)             /* the state changed while we copied */
            fd = phpbpf_client_ask(r, st->socket_path, st->parent_pid,
                                   (pid_t)copy.sh->helper_pid,
                                   copy.sh->helper_state == PHPBPF_HELPER_STARTING, &err);
        if (fd >= 0)
            err = phpbpf_client_answer(r, fd, snap, copy.sh->nvhosts);
        if (err) {
            unavailable = err;
            unreachable = 1;
            snap = NULL;
        }
    }
    rep = phpbpf_report_build(r->pool, &copy, snap, unavailable, (uint64_t)now, quantiles,
                              phpbpf_sconf(r->server)->components);
    rep->queries_configured = phpbpf_sconf(r->server)->queries;
    rep->helper_unreachable = unreachable;
    rep->metrics_routes = (uint32_t)phpbpf_sconf(r->server)->metrics_routes;
    rep->metrics_fine = phpbpf_sconf(r->server)->metrics_fine;
    rep->server_name = ap_get_server_name(r);
    rep->server_version = ap_get_server_description();
    return rep;
}

/* The vhost ?profile names: "name:port", or a name that only one vhost
 * has.  -1 if none, -2 if several. */
static int find_vhost(const struct phpbpf_report *rep, const char *name)
{
    size_t n = strlen(name);
    int found = -1;
    uint32_t i;

    for (i = 0; i < rep->nvhosts; i++)
        if (strcmp(rep->vhost[i].name, name) == 0)
            return (int)i;
    for (i = 0; i < rep->nvhosts; i++)
        if (strncmp(rep->vhost[i].name, name, n) == 0 && rep->vhost[i].name[n] == ':')
            found = found == -1 ? (int)i : -2;
    return found;
}

static void text(request_rec *r, int status, const char *msg)
{
    ap_set_content_type(r, "text/plain; charset=utf-8");
    r->status = status;
    ap_rputs(msg, r);
    ap_rputs("\n", r);
}

/* ?profile: text/plain folded stacks, or a line that says why none. */
static void profile(request_rec *r, struct phpbpf_report *rep, const char *vhost,
                    struct phpbpf_out *o)
{
    int v = -1;

    if (rep->helper_unreachable || !rep->helper) {
        text(r, HTTP_SERVICE_UNAVAILABLE, apr_pstrcat(r->pool, "PHP tracing is unavailable: ",
                                                      rep->reason ? rep->reason : "", NULL));
        return;
    }
    if (rep->stacks_reason) {
        text(r, HTTP_SERVICE_UNAVAILABLE, apr_pstrcat(r->pool, "PHP stacks are unavailable: ",
                                                      rep->stacks_reason, NULL));
        return;
    }
    if (!rep->profile_hz) {
        text(r, HTTP_NOT_FOUND, "PHP stack sampling is off (PhpBpfProfile Off)");
        return;
    }
    if (vhost && (v = find_vhost(rep, vhost)) < 0) {
        text(r, HTTP_NOT_FOUND, apr_pstrcat(r->pool, v == -2 ? "several vhosts are called "
                                            : "no vhost is called ",
                                            ap_escape_logitem(r->pool, vhost),
                                            v == -2 ? "; add the port, as name:port"
                                            : "; ?auto lists them (Vhost: lines)", NULL));
        return;
    }
    ap_set_content_type(r, "text/plain; charset=utf-8");
    if (!r->header_only)
        phpbpf_render_folded(rep, o, r->pool, v);
}

int phpbpf_handler(request_rec *r)
{
    struct phpbpf_out o = { NULL, 0, PHPBPF_OUT_SIZE, to_apache, r };
    struct phpbpf_report *rep;
    enum phpbpf_format fmt;
    struct args a;
    const char *err = NULL;
    int refresh;

    if (strcmp(r->handler, "server-bpf") != 0)
        return DECLINED;
    ap_allow_standard_methods(r, REPLACE_ALLOW, M_GET, -1);
    if (r->method_number != M_GET)
        return HTTP_METHOD_NOT_ALLOWED;
    if (parse_args(r, &a, &err) != 0) {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        r->status = HTTP_BAD_REQUEST;
        ap_rprintf(r, "Bad request: %s\n", err);
        return OK;
    }
    if (!phpbpf_st || !phpbpf_st->sh) {
        ap_set_content_type(r, "text/plain; charset=utf-8");
        r->status = HTTP_SERVICE_UNAVAILABLE;
        ap_rputs("mod_phpbpf is not initialised\n", r);
        return OK;
    }
    fmt = a.fmt;
    refresh = a.refresh;
    rep = report(r, fmt != PHPBPF_FMT_METRICS && fmt != PHPBPF_FMT_PROFILE);
    rep->refresh = refresh;
    if (rep->helper_unreachable)
        r->status = HTTP_SERVICE_UNAVAILABLE;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    o.buf = apr_palloc(r->pool, o.cap);
    switch (fmt) {
    case PHPBPF_FMT_AUTO:
        ap_set_content_type(r, "text/plain; charset=utf-8");
        if (!r->header_only)
            phpbpf_render_auto(rep, &o, r->pool);
        break;
    case PHPBPF_FMT_JSON:
        ap_set_content_type(r, "application/json");
        if (!r->header_only)
            phpbpf_render_json(rep, &o, r->pool);
        break;
    case PHPBPF_FMT_PROFILE:
        profile(r, rep, a.vhost, &o);
        break;
    case PHPBPF_FMT_METRICS: {
        /* A scrape always succeeds while Apache is up: a missing helper
         * shows as phpbpf_tracing_active 0, not as a failed target. */
        const char *accept = apr_table_get(r->headers_in, "Accept");
        int om = accept && ap_strstr_c(accept, "application/openmetrics-text") != NULL;

        r->status = HTTP_OK;
        ap_set_content_type(r, om ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
                                  : "text/plain; version=0.0.4; charset=utf-8");
        if (!r->header_only)
            phpbpf_render_metrics(rep, &o, r->pool, om);
        break;
    }
    default:
        ap_set_content_type(r, "text/html; charset=utf-8");
        if (!r->header_only)
            phpbpf_render_html(rep, &o, r->pool);
    }
    return OK;
}

int phpbpf_status_hook(request_rec *r, int flags)
{
    struct phpbpf_out o = { NULL, 0, 4096, to_apache, r };
    struct phpbpf_status_section sec = { 0 };
    const struct phpbpf_shared *sh;
    __u32 i;

    if (!phpbpf_st || !phpbpf_st->sh)
        return OK;
    sh = phpbpf_st->sh;
    for (i = 0; i < sh->nvhosts; i++) {
        sec.requests += sh->vhost[i].apache.count;
        sec.php5xx += sh->vhost[i].status[4];
    }
    sec.state = sh->helper_state == PHPBPF_HELPER_OFF ? "off"
              : sh->helper_state == PHPBPF_HELPER_FAILED ? "unavailable" : "active";
    sec.reason = state_reason(sh);
    o.buf = apr_palloc(r->pool, o.cap);
    phpbpf_render_status(&sec, &o, r->pool, (flags & AP_STATUS_SHORT) != 0);
    return OK;
}
