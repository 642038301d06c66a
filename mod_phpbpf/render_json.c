/* /server-bpf?json.  Every string goes through phpbpf_json_str(), which
 * escapes everything outside printable ASCII, and '<' '>' '&' too. */
#include "apr_strings.h"

#include "escape.h"
#include "render.h"
#include "snapshot.h"


static void str(struct phpbpf_out *o, const char *s)
{
    phpbpf_json_str(o, s);
}

static void lat(struct phpbpf_out *o, const char *key, const struct phpbpf_report_lat *l)
{
    phpbpf_out_printf(o, "\"%s\": {\"count\": " PHPBPF_U64 ", \"mean\": %.1f, \"p50\": %.1f, "
                      "\"p90\": %.1f, \"p99\": %.1f, \"max\": " PHPBPF_U64 "}",
                      key, (apr_uint64_t)l->hist->count, l->mean, l->p50, l->p90, l->p99,
                      (apr_uint64_t)l->hist->max_us);
}

static void tracing(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    const char *sep = "";
    unsigned k;

    phpbpf_out_printf(o, "{\"state\": \"%s\", \"reason\": ", r->reason ? "unavailable" : "active");
    if (r->reason)
        str(o, r->reason);
    else
        phpbpf_out_str(o, "null");
    phpbpf_out_str(o, ", \"library\": ");
    str(o, r->library);
    phpbpf_out_str(o, ", \"fpm_pools\": [");
    for (k = 0; k < r->nfpm; k++) {
        phpbpf_out_str(o, k ? ", {\"pool\": " : "{\"pool\": ");
        str(o, r->fpm_pool[k]);
        phpbpf_out_str(o, ", \"state\": ");
        str(o, r->fpm_state[k]);
        phpbpf_out_str(o, "}");
    }
    phpbpf_out_str(o, "]");
    phpbpf_out_printf(o, ", \"helper_restarts\": %u", r->helper_restarts);
    if (r->helper) {
        phpbpf_out_str(o, ", \"probes\": [");
        for (k = 0; k < r->nprobes; k++)
            if (r->probes[k].attached) {
                phpbpf_out_printf(o, "%s\"%s\"", sep, r->probes[k].name);
                sep = ", ";
            }
        /* How each is attached: a USDT note, or a probe on a function. */
        phpbpf_out_str(o, "], \"probe_kinds\": {");
        for (sep = "", k = 0; k < r->nprobes; k++)
            if (r->probes[k].attached) {
                phpbpf_out_printf(o, "%s\"%s\": \"%s\"", sep, r->probes[k].name, r->probes[k].kind);
                sep = ", ";
            }
        phpbpf_out_str(o, "}, \"untraced\": ");
        if (r->untraced)
            str(o, r->untraced);
        else
            phpbpf_out_str(o, "null");
        phpbpf_out_printf(o, ", \"since\": " PHPBPF_U64 ", \"uptime_s\": " PHPBPF_U64 ", "
                          "\"php_since\": " PHPBPF_U64 ", \"requests_lost\": " PHPBPF_U64 ", "
                          "\"window\": {\"seconds\": %u, \"since\": " PHPBPF_U64 "}, "
                          "\"helper_pid\": %u, \"generation\": %u, \"hits_per_request\": %.3f, "
                          "\"counters\": {", (apr_uint64_t)(r->helper_started_us / 1000000),
                          (apr_uint64_t)r->uptime_s, (apr_uint64_t)(r->php_since_us / 1000000),
                          (apr_uint64_t)r->requests_lost, r->window_s,
                          (apr_uint64_t)(r->window_since_us / 1000000), r->helper_pid, r->generation,
                          r->hits_per_request);
        for (k = 0; k < r->ncounters; k++)
            phpbpf_out_printf(o, "%s\"%s\": " PHPBPF_U64, k ? ", " : "", r->counters[k].name,
                              (apr_uint64_t)r->counters[k].count);
        phpbpf_out_str(o, "}");
    }
    phpbpf_out_str(o, ", \"histogram\": {\"unit\": \"us\", \"relative_precision\": 0.032}}");
}

static void frame_fields(struct phpbpf_out *o, const struct phpbpf_report_frame *f)
{
    phpbpf_out_str(o, "\"function\": ");
    str(o, f->function);
    if (f->internal)
        phpbpf_out_str(o, ", \"file\": null, \"line\": null, \"internal\": true");
    else {
        phpbpf_out_str(o, ", \"file\": ");
        str(o, f->file);
        phpbpf_out_printf(o, ", \"line\": %u, \"internal\": false", f->line);
    }
}

static void frame(struct phpbpf_out *o, const struct phpbpf_report_frame *f)
{
    phpbpf_out_putc(o, '{');
    frame_fields(o, f);
    phpbpf_out_putc(o, '}');
}

static void funcs(struct phpbpf_out *o, const char *key, const struct phpbpf_report_func *f,
                  unsigned n)
{
    unsigned i;

    phpbpf_out_printf(o, ", \"%s\": [", key);
    for (i = 0; i < n; i++) {
        phpbpf_out_str(o, i ? ", {" : "{");
        frame_fields(o, &f[i].f);
        phpbpf_out_printf(o, ", \"self\": " PHPBPF_U64 ", \"total\": " PHPBPF_U64 "}",
                          (apr_uint64_t)f[i].self, (apr_uint64_t)f[i].total);
    }
    phpbpf_out_str(o, "]");
}

static void profile(struct phpbpf_out *o, const struct phpbpf_report_profile *pr)
{
    unsigned i;

    if (!pr) {
        phpbpf_out_str(o, ", \"profile\": null");
        return;
    }
    phpbpf_out_printf(o, ", \"profile\": {\"samples\": " PHPBPF_U64 ", \"dropped\": " PHPBPF_U64,
                      (apr_uint64_t)pr->samples, (apr_uint64_t)pr->dropped);
    funcs(o, "by_self", pr->by_self, pr->nfuncs);
    funcs(o, "by_total", pr->by_total, pr->nfuncs);
    phpbpf_out_str(o, ", \"components\": [");
    for (i = 0; i < pr->ncomponents; i++) {
        phpbpf_out_str(o, i ? ", {\"name\": " : "{\"name\": ");
        str(o, pr->components[i].name);
        phpbpf_out_printf(o, ", \"self\": " PHPBPF_U64 ", \"total\": " PHPBPF_U64 "}",
                          (apr_uint64_t)pr->components[i].self,
                          (apr_uint64_t)pr->components[i].total);
    }
    phpbpf_out_str(o, "]}");
}

/* {"mysql": {"count": N, "total_us": N}, ...}, every class. */
static void waits(struct phpbpf_out *o, const uint64_t *us, const uint64_t *count, int have)
{
    unsigned k;

    if (!have) {
        phpbpf_out_str(o, "null");
        return;
    }
    for (k = 0; k < PHPBPF_REPORT_WAIT_CLASSES; k++)
        phpbpf_out_printf(o, "%s\"%s\": {\"count\": " PHPBPF_U64 ", \"total_us\": " PHPBPF_U64 "}",
                          k ? ", " : "{", phpbpf_wait_names[k],
                          (apr_uint64_t)count[k], (apr_uint64_t)us[k]);
    phpbpf_out_str(o, "}");
}

static void vhost_waits(struct phpbpf_out *o, const struct phpbpf_report_wait *w)
{
    uint64_t us[PHPBPF_REPORT_WAIT_CLASSES], n[PHPBPF_REPORT_WAIT_CLASSES];
    unsigned k;

    for (k = 0; w && k < PHPBPF_REPORT_WAIT_CLASSES; k++) {
        us[k] = w[k].total_us;
        n[k] = w[k].count;
    }
    phpbpf_out_str(o, ", \"waits\": ");
    waits(o, us, n, w != NULL);
}

/* ", \"status\": {\"2xx\": N, ... \"5xx\": N" (a vhost's or a route's),
 * its brace left open for what follows. */
static void statuses(struct phpbpf_out *o, const uint64_t *status)
{
    unsigned k;

    phpbpf_out_str(o, ", \"status\": {");
    for (k = 1; k < PHPBPF_REPORT_STATUS; k++)
        phpbpf_out_printf(o, "%s\"%s\": " PHPBPF_U64, k > 1 ? ", " : "", phpbpf_status_names[k],
                          (apr_uint64_t)status[k]);
}

static void nullable(struct phpbpf_out *o, const char *s)
{
    if (s)
        str(o, s);
    else
        phpbpf_out_str(o, "null");
}

static void sites(struct phpbpf_out *o, const struct phpbpf_report_vhost *v)
{
    unsigned i;

    phpbpf_out_str(o, ", \"wait_sites\": [");
    for (i = 0; i < v->nsites; i++) {
        phpbpf_out_str(o, i ? ", {" : "{");
        frame_fields(o, &v->sites[i].f);
        phpbpf_out_printf(o, ", \"class\": \"%s\", \"count\": " PHPBPF_U64 ", \"total_us\": "
                          PHPBPF_U64 ", \"component\": ", v->sites[i].wait_class,
                          (apr_uint64_t)v->sites[i].count, (apr_uint64_t)v->sites[i].total_us);
        nullable(o, v->sites[i].component);
        phpbpf_out_str(o, "}");
    }
    phpbpf_out_str(o, "], \"wait_components\": [");
    for (i = 0; i < v->ncomponent_waits; i++) {
        phpbpf_out_str(o, i ? ", {\"component\": " : "{\"component\": ");
        str(o, v->component_waits[i].component);
        phpbpf_out_printf(o, ", \"class\": \"%s\", \"count\": " PHPBPF_U64 ", \"total_us\": "
                          PHPBPF_U64 "}", v->component_waits[i].wait_class,
                          (apr_uint64_t)v->component_waits[i].count,
                          (apr_uint64_t)v->component_waits[i].total_us);
    }
    phpbpf_out_str(o, "]");
}

/* "routes": [{"route": "/product/{id}", "requests": N, ...}], most PHP
 * time first, (other) last; null without routes. */
static void routes(struct phpbpf_out *o, const struct phpbpf_report *r,
                   const struct phpbpf_report_vhost *v)
{
    unsigned i, k;

    if (!r->max_routes) {
        phpbpf_out_str(o, ", \"routes\": null");
        return;
    }
    phpbpf_out_str(o, ", \"routes\": [");
    for (i = 0; i < v->nroutes; i++) {
        const struct phpbpf_report_route *x = &v->routes[i];

        phpbpf_out_str(o, i ? ",\n    {\"route\": " : "\n    {\"route\": ");
        str(o, x->route);
        phpbpf_out_printf(o, ", \"other\": %s, \"requests\": " PHPBPF_U64 ", \"requests_per_s\": %.3f, "
                          "\"share_of_php\": %.4f, ", x->other ? "true" : "false",
                          (apr_uint64_t)x->requests, x->per_s, x->share);
        lat(o, "latency_us", &x->apache);
        phpbpf_out_str(o, ", ");
        lat(o, "php_us", &x->php);
        statuses(o, x->status);
        phpbpf_out_printf(o, "}, \"errors\": " PHPBPF_U64 ", \"exceptions\": " PHPBPF_U64,
                          (apr_uint64_t)x->errors, (apr_uint64_t)x->exceptions);
        if (x->wait_us) {
            phpbpf_out_printf(o, ", \"on_cpu_us\": " PHPBPF_U64 ", \"off_cpu_us\": " PHPBPF_U64
                              ", \"waits_us\": {", (apr_uint64_t)x->on_us, (apr_uint64_t)x->off_us);
            for (k = 0; k < PHPBPF_REPORT_WAIT_CLASSES; k++)
                phpbpf_out_printf(o, "%s\"%s\": " PHPBPF_U64, k ? ", " : "", phpbpf_wait_names[k],
                                  (apr_uint64_t)x->wait_us[k]);
            phpbpf_out_str(o, "}}");
        }
        else
            phpbpf_out_str(o, ", \"on_cpu_us\": null, \"off_cpu_us\": null, \"waits_us\": null}");
    }
    phpbpf_out_str(o, "]");
}

/* "queries": {"count": N, "total_us": N, "errors": N, "not_kept": N,
 * "statements": [...]}: the totals are the BPF side's, exact; the
 * statements the helper's table's, most time first; null when off. */
static void queries(struct phpbpf_out *o, const struct phpbpf_report *r,
                    const struct phpbpf_report_vhost *v)
{
    unsigned i, k;

    if (r->queries_state != 1) {
        phpbpf_out_str(o, ", \"queries\": null");
        return;
    }
    phpbpf_out_printf(o, ", \"queries\": {\"count\": " PHPBPF_U64 ", \"total_us\": " PHPBPF_U64
                      ", \"errors\": " PHPBPF_U64 ", \"not_kept\": " PHPBPF_U64 ", \"statements\": [",
                      (apr_uint64_t)v->queries, (apr_uint64_t)v->queries_us,
                      (apr_uint64_t)v->query_errors, (apr_uint64_t)v->stmts_lost);
    for (i = 0; i < v->nstmts; i++) {
        const struct phpbpf_report_stmt *x = &v->stmts[i];

        phpbpf_out_str(o, i ? ",\n    {\"text\": " : "\n    {\"text\": ");
        str(o, x->text);
        phpbpf_out_printf(o, ", \"truncated\": %s, \"system\": \"%s\", \"server\": ",
                          x->truncated ? "true" : "false", x->system);
        str(o, x->server);
        phpbpf_out_printf(o, ", \"count\": " PHPBPF_U64 ", \"errors\": " PHPBPF_U64 ", \"total_us\": "
                          PHPBPF_U64 ", \"share_of_php\": %.4f, ", (apr_uint64_t)x->count,
                          (apr_uint64_t)x->errors, (apr_uint64_t)x->total_us, x->share);
        lat(o, "time_us", &x->time);
        phpbpf_out_str(o, ", \"caller\": ");
        if (x->caller_known)
            frame(o, &x->caller);
        else
            phpbpf_out_str(o, "null");
        phpbpf_out_printf(o, ", \"slowest_us\": " PHPBPF_U64 ", \"slowest_stack\": [",
                          (apr_uint64_t)x->slowest_us);
        for (k = 0; k < x->nframes; k++) {
            if (k)
                phpbpf_out_str(o, ", ");
            frame(o, &x->frame[k]);
        }
        phpbpf_out_str(o, "]}");
    }
    phpbpf_out_str(o, "]}");
}

static void vhost(struct phpbpf_out *o, const struct phpbpf_report *r,
                  const struct phpbpf_report_vhost *v)
{
    unsigned k;

    str(o, v->name);
    phpbpf_out_str(o, ", \"php_runs\": ");
    str(o, v->php_runs ? v->php_runs : "");
    phpbpf_out_printf(o, ", \"requests\": " PHPBPF_U64 ", \"requests_per_s\": %.3f, ",
                      (apr_uint64_t)v->requests, v->per_s);
    lat(o, "latency_us", &v->apache);
    phpbpf_out_str(o, ", ");
    lat(o, "php_us", &v->php);
    statuses(o, v->status);
    phpbpf_out_printf(o, "}, \"compile\": {\"count\": " PHPBPF_U64 ", \"total_us\": " PHPBPF_U64 ", "
                      "\"per_request\": %.3f, \"share_of_php\": %.4f", (apr_uint64_t)v->bpf.compiles,
                      (apr_uint64_t)v->bpf.compile_us, v->compiles_per_request, v->compile_share);
    phpbpf_out_printf(o, "}, \"errors\": {\"error\": " PHPBPF_U64 ", \"warning\": " PHPBPF_U64 ", "
                      "\"notice\": " PHPBPF_U64 ", \"other\": " PHPBPF_U64 ", \"total\": " PHPBPF_U64 "}, "
                      "\"exceptions\": {\"thrown\": " PHPBPF_U64 ", \"uncaught\": " PHPBPF_U64,
                      (apr_uint64_t)v->errors[0], (apr_uint64_t)v->errors[1],
                      (apr_uint64_t)v->errors[2], (apr_uint64_t)v->errors[3],
                      (apr_uint64_t)v->errors_total, (apr_uint64_t)v->bpf.exc_thrown,
                      (apr_uint64_t)v->uncaught);
    phpbpf_out_printf(o, "}, \"php_lost\": " PHPBPF_U64 ", \"samples\": " PHPBPF_U64 ", "
                      "\"not_kept\": {\"classes\": " PHPBPF_U64 ", \"scripts\": " PHPBPF_U64 ", "
                      "\"wait_sites\": " PHPBPF_U64 ", \"stacks\": " PHPBPF_U64 "}",
                      (apr_uint64_t)v->bpf.lost, (apr_uint64_t)v->bpf.samples,
                      (apr_uint64_t)v->classes_lost, (apr_uint64_t)v->scripts_lost,
                      (apr_uint64_t)v->bpf.sites_lost,
                      (apr_uint64_t)(v->profile ? v->profile->dropped : 0));
    phpbpf_out_str(o, ", \"cpu\": {");
    lat(o, "on_us", &v->on_cpu);
    phpbpf_out_str(o, ", ");
    lat(o, "off_us", &v->off_cpu);
    phpbpf_out_printf(o, ", \"on_share\": %.4f, \"enabled\": %s", v->on_share,
                      r->cpu_traced ? "true" : "false");
    phpbpf_out_str(o, "}, \"methods\": {");
    for (k = 0; k < PHPBPF_REPORT_METHODS; k++)
        phpbpf_out_printf(o, "%s\"%s\": " PHPBPF_U64, k ? ", " : "", phpbpf_method_names[k],
                          (apr_uint64_t)v->method[k]);
    phpbpf_out_str(o, "}");
    vhost_waits(o, v->wait);
    sites(o, v);
    routes(o, r, v);
    queries(o, r, v);
    profile(o, v->profile);
    phpbpf_out_str(o, "}");
}

static void stacks(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    static const char *const states[] = { "off", "active", "unavailable" };

    phpbpf_out_printf(o, "{\"state\": \"%s\", \"reason\": ",
                      states[r->stacks_state >= 0 && r->stacks_state <= 2 ? r->stacks_state : 0]);
    if (r->stacks_reason)
        str(o, r->stacks_reason);
    else
        phpbpf_out_str(o, "null");
    phpbpf_out_printf(o, ", \"hz\": %u, \"samples\": " PHPBPF_U64 ", \"lost\": " PHPBPF_U64
                      ", \"unreadable\": " PHPBPF_U64 ", \"dropped\": " PHPBPF_U64
                      ", \"backtraces\": " PHPBPF_U64 ", \"backtraces_lost\": " PHPBPF_U64 "}",
                      r->profile_hz, (apr_uint64_t)r->samples, (apr_uint64_t)r->samples_lost,
                      (apr_uint64_t)r->samples_unreadable, (apr_uint64_t)r->samples_dropped,
                      (apr_uint64_t)r->backtraces, (apr_uint64_t)r->backtraces_lost);
}

static void compile(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    unsigned i;

    phpbpf_out_printf(o, "{\"enabled\": %s, \"traced\": %s", r->compile_tracing ? "true" : "false",
                      r->compile_traced ? "true" : "false");
    if (r->compile_tracing && r->helper) {
        phpbpf_out_printf(o, ", \"scripts_tracked\": %u, \"scripts_evicted\": " PHPBPF_U64 ", "
                          "\"outside_requests\": " PHPBPF_U64 ", \"scripts\": [", r->scripts_tracked,
                          (apr_uint64_t)r->scripts_evicted, (apr_uint64_t)r->compiles_outside);
        for (i = 0; i < r->nscripts; i++) {
            phpbpf_out_str(o, i ? ",\n   {\"vhost\": " : "\n   {\"vhost\": ");
            str(o, r->scripts[i].vhost);
            phpbpf_out_str(o, ", \"path\": ");
            str(o, r->scripts[i].path);
            phpbpf_out_str(o, ", ");
            lat(o, "compile_us", &r->scripts[i].compile);
            phpbpf_out_printf(o, ", \"total_us\": " PHPBPF_U64 "}",
                              (apr_uint64_t)r->scripts[i].compile.hist->sum_us);
        }
        phpbpf_out_str(o, "]");
    }
    phpbpf_out_str(o, "}");
}

static void exceptions(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    unsigned i;

    phpbpf_out_str(o, "{\"classes\": [");
    for (i = 0; i < r->nclasses; i++) {
        phpbpf_out_str(o, i ? ", {\"vhost\": " : "{\"vhost\": ");
        str(o, r->classes[i].vhost);
        phpbpf_out_str(o, ", \"class\": ");
        str(o, r->classes[i].name);
        phpbpf_out_printf(o, ", \"thrown\": " PHPBPF_U64 "}", (apr_uint64_t)r->classes[i].count);
    }
    phpbpf_out_printf(o, "], \"other\": " PHPBPF_U64 ", \"max_classes\": %u}",
                      (apr_uint64_t)r->classes_other, r->classes_max);
}

static void errors(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    unsigned i;

    phpbpf_out_str(o, "{\"top\": [");
    for (i = 0; i < r->nerrors; i++) {
        const struct phpbpf_report_error *e = &r->errors[i];

        phpbpf_out_printf(o, "%s{\"level\": \"%s\", \"message\": ", i ? ",\n   " : "\n   ",
                          e->level);
        str(o, e->msg);
        phpbpf_out_str(o, ", \"file\": ");
        str(o, e->file);
        phpbpf_out_printf(o, ", \"line\": %u, \"count\": " PHPBPF_U64 "}", e->line,
                          (apr_uint64_t)e->count);
    }
    phpbpf_out_printf(o, "], \"other\": " PHPBPF_U64 ", \"max_errors\": %u, \"message_max_bytes\": %u}",
                      (apr_uint64_t)r->errors_other, r->errors_max, r->message_max);
}

/* ", \"queries\": {\"count\": N, \"total_us\": N, \"statements\": [...]}"
 * of a slow request, null when its statements were not followed. */
static void slow_queries(struct phpbpf_out *o, const struct phpbpf_report_slow *e)
{
    unsigned k;

    if (!e->queries_known) {
        phpbpf_out_str(o, ", \"queries\": null");
        return;
    }
    phpbpf_out_printf(o, ", \"queries\": {\"count\": " PHPBPF_U64 ", \"total_us\": " PHPBPF_U64
                      ", \"statements\": [", (apr_uint64_t)e->queries, (apr_uint64_t)e->queries_us);
    for (k = 0; k < e->nstmts; k++) {
        const struct phpbpf_report_req_stmt *x = &e->stmts[k];

        phpbpf_out_str(o, k ? ", {\"text\": " : "{\"text\": ");
        str(o, x->text);
        phpbpf_out_printf(o, ", \"truncated\": %s, \"count\": " PHPBPF_U64 ", \"total_us\": " PHPBPF_U64
                          ", \"n_plus_one\": %s, \"caller\": ", x->truncated ? "true" : "false",
                          (apr_uint64_t)x->count, (apr_uint64_t)x->total_us,
                          x->n_plus_one ? "true" : "false");
        if (x->caller_known)
            frame(o, &x->caller);
        else
            phpbpf_out_str(o, "null");
        phpbpf_out_str(o, "}");
    }
    phpbpf_out_str(o, "]}");
}

static void slow(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    unsigned i;

    phpbpf_out_printf(o, "{\"threshold_us\": " PHPBPF_U64 ", \"size\": %u, \"query_strings\": %s, "
                      "\"lost\": " PHPBPF_U64 ", \"requests\": [", (apr_uint64_t)r->slow_threshold_us,
                      r->slow_size, r->record_query ? "true" : "false", (apr_uint64_t)r->slow_lost);
    for (i = 0; i < r->nslow; i++) {
        const struct phpbpf_report_slow *e = &r->slow[i];

        phpbpf_out_str(o, i ? ",\n   {\"vhost\": " : "\n   {\"vhost\": ");
        str(o, e->vhost);
        phpbpf_out_str(o, ", \"method\": ");
        str(o, e->method);
        phpbpf_out_str(o, ", \"uri\": ");
        str(o, e->uri);
        phpbpf_out_str(o, ", \"script\": ");
        str(o, e->script);
        phpbpf_out_str(o, ", \"route\": ");
        nullable(o, e->route);
        if (e->apache_known)
            phpbpf_out_printf(o, ", \"time\": " PHPBPF_U64 ", \"status\": %u, \"apache_us\": " PHPBPF_U64
                              ", \"errors\": %u", (apr_uint64_t)(e->time_us / 1000000), e->status,
                              (apr_uint64_t)e->apache_us, e->errors);
        else
            phpbpf_out_str(o, ", \"time\": null, \"status\": null, \"apache_us\": null, "
                              "\"errors\": null");
        phpbpf_out_printf(o, ", \"php_us\": " PHPBPF_U64 ", \"compile_us\": " PHPBPF_U64,
                          (apr_uint64_t)e->php_us, (apr_uint64_t)e->compile_us);
        if (r->cpu_traced)
            phpbpf_out_printf(o, ", \"on_cpu_us\": " PHPBPF_U64 ", \"off_cpu_us\": " PHPBPF_U64,
                              (apr_uint64_t)e->on_us, (apr_uint64_t)e->off_us);
        else
            phpbpf_out_str(o, ", \"on_cpu_us\": null, \"off_cpu_us\": null");
        {
            uint64_t n[PHPBPF_REPORT_WAIT_CLASSES];
            unsigned k;

            for (k = 0; k < PHPBPF_REPORT_WAIT_CLASSES; k++)
                n[k] = e->waits[k];
            phpbpf_out_str(o, ", \"waits\": ");
            waits(o, e->wait_us, n, r->cpu_traced);
        }
        slow_queries(o, e);
        phpbpf_out_printf(o, ", \"exceptions\": %u, \"backtrace\": ", e->exceptions);
        if (e->backtrace) {
            unsigned k;

            phpbpf_out_str(o, "[");
            for (k = 0; k < e->nframes; k++) {
                phpbpf_out_str(o, k ? ", " : "");
                frame(o, &e->frame[k]);
            }
            phpbpf_out_printf(o, "], \"backtrace_at_us\": " PHPBPF_U64 ", \"backtrace_truncated\": %s}",
                              (apr_uint64_t)e->backtrace_at_us, e->backtrace_truncated ? "true" : "false");
        }
        else
            phpbpf_out_str(o, "null, \"backtrace_at_us\": null, \"backtrace_truncated\": null}");
    }
    phpbpf_out_str(o, "]}");
}

static void recent(struct phpbpf_out *o, const struct phpbpf_report *r)
{
    unsigned i;

    for (i = 0; i < r->nrecent; i++) {
        const struct phpbpf_report_request *e = &r->recent[i];

        phpbpf_out_str(o, i ? ",\n  {\"vhost\": " : "\n  {\"vhost\": ");
        str(o, e->vhost);
        phpbpf_out_str(o, ", \"host\": ");
        str(o, e->host);
        phpbpf_out_str(o, ", \"method\": ");
        str(o, e->method);
        phpbpf_out_str(o, ", \"uri\": ");
        str(o, e->uri);
        phpbpf_out_str(o, ", \"script\": ");
        if (e->script)
            str(o, e->script);
        else
            phpbpf_out_str(o, "null");
        phpbpf_out_printf(o, ", \"status\": %u, \"time\": " PHPBPF_U64 ", \"apache_us\": " PHPBPF_U64 "}",
                          e->status, (apr_uint64_t)(e->time_us / 1000000),
                          (apr_uint64_t)e->apache_us);
    }
}

void phpbpf_render_json(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p)
{
    unsigned k;

    (void)p;
    phpbpf_out_str(o, "{\"tracing\": ");
    tracing(o, r);
    phpbpf_out_printf(o, ",\n \"apache\": {\"since\": " PHPBPF_U64 ", \"vhosts_configured\": %u, "
                      "\"vhosts_untracked\": %u},\n \"vhosts\": [",
                      (apr_uint64_t)(r->since_us / 1000000), r->vhosts_configured,
                      r->vhosts_untracked);
    for (k = 0; k < r->nshown; k++) {
        phpbpf_out_str(o, k ? ",\n  {\"name\": " : "\n  {\"name\": ");
        vhost(o, r, &r->vhost[r->shown[k]]);
    }
    phpbpf_out_str(o, "],\n \"compile\": ");
    compile(o, r);
    phpbpf_out_str(o, ",\n \"exceptions\": ");
    exceptions(o, r);
    phpbpf_out_str(o, ",\n \"errors\": ");
    errors(o, r);
    phpbpf_out_str(o, ",\n \"stacks\": ");
    stacks(o, r);
    phpbpf_out_str(o, ",\n \"slow\": ");
    slow(o, r);
    phpbpf_out_printf(o, ",\n \"routes\": {\"max_per_vhost\": %u, \"lost\": " PHPBPF_U64 "}",
                      r->max_routes, (apr_uint64_t)r->routes_lost);
    {
        static const char *const states[] = { "off", "active", "unavailable" };

        phpbpf_out_printf(o, ",\n \"queries\": {\"state\": \"%s\", \"reason\": ",
                          states[r->queries_state >= 0 && r->queries_state <= 2 ? r->queries_state : 0]);
        if (r->queries_reason)
            str(o, r->queries_reason);
        else
            phpbpf_out_str(o, "null");
        phpbpf_out_printf(o, ", \"configured\": %s, \"max_statements\": %u}",
                          r->queries_configured ? "true" : "false", PHPBPF_MAX_STMTS);
    }
    phpbpf_out_str(o, ",\n \"recent\": [");
    recent(o, r);
    phpbpf_out_str(o, "]}\n");
    phpbpf_out_flush(o);
}
