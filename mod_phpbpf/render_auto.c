/* /server-bpf?auto: "Key: value" lines for scripts, as mod_status's ?auto.
 * Per-vhost keys carry the vhost in brackets.  Vhost names come from the
 * configuration; a route comes from requests, and is escaped as text
 * (phpbpf_esc_text) with its brackets, colons and spaces as \x5b, \x5d,
 * \x3a and \x20, so that a key stays Name[vhost][route] and ": " only
 * ever ends one. */
#include <string.h>

#include "apr_strings.h"

#include "escape.h"
#include "render.h"


static void lat(struct phpbpf_out *o, const char *what, const char *name,
                const struct phpbpf_report_lat *l)
{
    phpbpf_out_printf(o, "%sCount[%s]: " PHPBPF_U64 "\n%sMeanUs[%s]: %.0f\n%sP50Us[%s]: %.0f\n"
                      "%sP90Us[%s]: %.0f\n%sP99Us[%s]: %.0f\n%sMaxUs[%s]: " PHPBPF_U64 "\n",
                      what, name, (apr_uint64_t)l->hist->count, what, name, l->mean,
                      what, name, l->p50, what, name, l->p90, what, name, l->p99,
                      what, name, (apr_uint64_t)l->hist->max_us);
}

/* A route as a key's bracket: escaped text, and no bracket, colon or
 * space of its own. */
static const char *route_key(apr_pool_t *p, const char *route)
{
    const char *t = phpbpf_esc_text(p, route), *c;
    char *out, *w;

    if (!strpbrk(t, "[]: "))
        return t;
    w = out = apr_palloc(p, 4 * strlen(t) + 1);
    for (c = t; *c; c++) {
        if (strchr("[]: ", *c)) {
            apr_snprintf(w, 5, "\\x%02x", (unsigned char)*c);
            w += 4;
        }
        else
            *w++ = *c;
    }
    *w = '\0';
    return out;
}

static void vhost(struct phpbpf_out *o, const struct phpbpf_report *r,
                  const struct phpbpf_report_vhost *v, apr_pool_t *p)
{
    const char *n = v->name;
    unsigned k;

    phpbpf_out_printf(o, "Vhost: %s\nPhpRuns[%s]: %s\nRequests[%s]: " PHPBPF_U64
                      "\nReqPerSec[%s]: %.3f\n", n, n, phpbpf_esc_text(p, v->php_runs ? v->php_runs : ""), n,
                      (apr_uint64_t)v->requests, n, v->per_s);
    lat(o, "Latency", n, &v->apache);
    lat(o, "Php", n, &v->php);
    for (k = 0; k < PHPBPF_REPORT_STATUS; k++)
        phpbpf_out_printf(o, "Status%s[%s]: " PHPBPF_U64 "\n", phpbpf_status_names[k], n,
                          (apr_uint64_t)v->status[k]);
    phpbpf_out_printf(o, "Errors[%s]: " PHPBPF_U64 "\nExceptionsThrown[%s]: " PHPBPF_U64 "\n"
                      "ExceptionsUncaught[%s]: " PHPBPF_U64 "\n", n, (apr_uint64_t)v->errors_total,
                      n, (apr_uint64_t)v->bpf.exc_thrown, n, (apr_uint64_t)v->uncaught);
    if (r->cpu_traced) {
        lat(o, "OnCpu", n, &v->on_cpu);
        lat(o, "OffCpu", n, &v->off_cpu);
        phpbpf_out_printf(o, "OnCpuShare[%s]: %.4f\n", n, v->on_share);
        for (k = 0; v->wait && k < PHPBPF_REPORT_WAIT_CLASSES; k++)
            if (v->wait[k].count)
                phpbpf_out_printf(o, "WaitUs[%s][%s]: " PHPBPF_U64 "\nWaits[%s][%s]: " PHPBPF_U64 "\n",
                                  n, phpbpf_wait_names[k], (apr_uint64_t)v->wait[k].total_us, n,
                                  phpbpf_wait_names[k], (apr_uint64_t)v->wait[k].count);
    }
    if (r->stacks_state == 1 && r->profile_hz)
        phpbpf_out_printf(o, "ProfileSamples[%s]: " PHPBPF_U64 "\n", n,
                          (apr_uint64_t)(v->profile ? v->profile->samples : 0));
    if (r->compile_tracing)
        phpbpf_out_printf(o, "Compiles[%s]: " PHPBPF_U64 "\nCompileUs[%s]: " PHPBPF_U64 "\n", n,
                          (apr_uint64_t)v->bpf.compiles, n, (apr_uint64_t)v->bpf.compile_us);
    if (r->queries_state == 1)      /* statements themselves: ?json */
        phpbpf_out_printf(o, "Queries[%s]: " PHPBPF_U64 "\nQueryUs[%s]: " PHPBPF_U64 "\n"
                          "QueryErrors[%s]: " PHPBPF_U64 "\n", n, (apr_uint64_t)v->queries, n,
                          (apr_uint64_t)v->queries_us, n, (apr_uint64_t)v->query_errors);
    if (r->max_routes)
        phpbpf_out_printf(o, "Routes[%s]: %u\n", n, v->nroutes);
    for (k = 0; k < v->nroutes; k++) {
        const struct phpbpf_report_route *x = &v->routes[k];
        const char *rt = route_key(p, x->route);

        phpbpf_out_printf(o, "RouteRequests[%s][%s]: " PHPBPF_U64 "\nRoutePhpMeanUs[%s][%s]: %.0f\n"
                          "RoutePhpP99Us[%s][%s]: %.0f\nRouteStatus5xx[%s][%s]: " PHPBPF_U64 "\n"
                          "RouteErrors[%s][%s]: " PHPBPF_U64 "\n",
                          n, rt, (apr_uint64_t)x->requests, n, rt, x->php.mean, n, rt, x->php.p99,
                          n, rt, (apr_uint64_t)x->status[4], n, rt, (apr_uint64_t)x->errors);
    }
}

void phpbpf_render_auto(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p)
{
    unsigned k;

    (void)p;
    phpbpf_out_printf(o, "TracingState: %s\n", r->reason ? "unavailable" : "active");
    if (r->reason)
        phpbpf_out_printf(o, "TracingReason: %s\n", phpbpf_esc_text(p, r->reason));
    phpbpf_out_printf(o, "Library: %s\n", r->library);
    for (k = 0; k < r->nfpm; k++)
        phpbpf_out_printf(o, "FpmPool: %s\nFpmPoolState[%s]: %s\n",
                          phpbpf_esc_text(p, r->fpm_pool[k]), phpbpf_esc_text(p, r->fpm_pool[k]),
                          phpbpf_esc_text(p, r->fpm_state[k]));
    if (r->helper) {
        phpbpf_out_printf(o, "ProbeHitsPerRequest: %.3f\n", r->hits_per_request);
        phpbpf_out_str(o, "Probes:");
        for (k = 0; k < r->nprobes; k++)
            if (r->probes[k].attached)
                phpbpf_out_printf(o, " %s", r->probes[k].name);
        phpbpf_out_printf(o, "\nTracingUptime: " PHPBPF_U64 "\nHelperPid: %u\nPhpSince: " PHPBPF_U64
                          "\nPhpRequestsLost: " PHPBPF_U64 "\n", (apr_uint64_t)r->uptime_s,
                          r->helper_pid, (apr_uint64_t)(r->php_since_us / 1000000),
                          (apr_uint64_t)r->requests_lost);
        for (k = 0; k < r->ncounters; k++)
            phpbpf_out_printf(o, "Probe_%s: " PHPBPF_U64 "\n", r->counters[k].name,
                              (apr_uint64_t)r->counters[k].count);
    }
    phpbpf_out_printf(o, "HelperRestarts: %u\nVhostsConfigured: %u\nVhostsUntracked: %u\n",
                      r->helper_restarts, r->vhosts_configured, r->vhosts_untracked);
    phpbpf_out_printf(o, "CompileTracing: %s\nCpuTracing: %s\n", r->compile_tracing ? "on" : "off",
                      r->cpu_traced ? "on" : "off");
    if (r->slow_threshold_us && r->helper)
        phpbpf_out_printf(o, "SlowThresholdUs: " PHPBPF_U64 "\nSlowRequestsShown: %u\n"
                          "SlowLost: " PHPBPF_U64 "\n", (apr_uint64_t)r->slow_threshold_us,
                          r->nslow, (apr_uint64_t)r->slow_lost);
    if (r->helper) {
        static const char *const states[] = { "off", "active", "unavailable" };

        phpbpf_out_printf(o, "Stacks: %s\n", states[r->stacks_state >= 0 && r->stacks_state <= 2
                                                      ? r->stacks_state : 0]);
        if (r->stacks_reason)
            phpbpf_out_printf(o, "StacksReason: %s\n", phpbpf_esc_text(p, r->stacks_reason));
        if (r->untraced)
            phpbpf_out_printf(o, "Untraced: %s\n", phpbpf_esc_text(p, r->untraced));
        phpbpf_out_printf(o, "ProfileHz: %u\nProfileSamples: " PHPBPF_U64 "\n", r->profile_hz,
                          (apr_uint64_t)r->samples);
    }
    if (r->helper)
        phpbpf_out_printf(o, "RoutesMax: %u\nRoutesLost: " PHPBPF_U64 "\n", r->max_routes,
                          (apr_uint64_t)r->routes_lost);
    if (r->helper && r->queries_configured) {
        static const char *const qstates[] = { "off", "active", "unavailable" };

        phpbpf_out_printf(o, "Queries: %s\n", qstates[r->queries_state >= 0 && r->queries_state <= 2
                                                     ? r->queries_state : 0]);
        if (r->queries_reason)
            phpbpf_out_printf(o, "QueriesReason: %s\n", phpbpf_esc_text(p, r->queries_reason));
    }
    if (r->compile_tracing && r->helper)
        phpbpf_out_printf(o, "ScriptsTracked: %u\nScriptsEvicted: " PHPBPF_U64 "\n",
                          r->scripts_tracked, (apr_uint64_t)r->scripts_evicted);
    for (k = 0; k < r->nshown; k++)
        vhost(o, r, &r->vhost[r->shown[k]], p);
    phpbpf_out_flush(o);
}
