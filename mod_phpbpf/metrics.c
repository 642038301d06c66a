/* /server-bpf?metrics: the Prometheus text format (0.0.4), or OpenMetrics
 * 1.0 when the scraper asks for it.
 *
 * Labels are bounded by configuration: vhost names (at most
 * PhpBpfMaxVhosts), status classes, probe and map names.  No URI, script
 * or pid ever becomes a label.
 *
 * Histogram buckets are a fixed set chosen among the BPF histogram's own
 * bucket boundaries, so every cumulative count is exact: 2^k and 1.5 * 2^k
 * microseconds from 128 us to 25.2 s (36 buckets and +Inf). */
#include "httpd.h"
#include "http_protocol.h"
#include "apr_strings.h"

#include "mod_phpbpf.h"

#define U64 "%" APR_UINT64_T_FMT

static const char *const status_names[] = { "1xx", "2xx", "3xx", "4xx", "5xx" };
static const char *const probe_names[] = { PHPBPF_PROBE_NAMES };

#define NBOUNDS PHPBPF_METRIC_BOUNDS

struct out {
    request_rec *r;
    int om;                     /* OpenMetrics */
    __u32 *idx, n;              /* the vhosts exported */
    const char **lbl;           /* vhost="..." per vhost index, escaped once */
};

/* The "le" values as text, formatted once per process. */
static char le_text[NBOUNDS][16];

/* Label values: backslash, double quote and newline escaped, as both
 * formats require; vhost names come from the configuration. */
static const char *label(apr_pool_t *p, const char *s)
{
    char *o = apr_palloc(p, 2 * strlen(s) + 1), *q = o;

    for (; *s; s++) {
        if (*s == '\\' || *s == '"') {
            *q++ = '\\';
            *q++ = *s;
        }
        else if (*s == '\n') {
            *q++ = '\\';
            *q++ = 'n';
        }
        else
            *q++ = *s;
    }
    *q = '\0';
    return o;
}

/* A metric family header.  OpenMetrics names a counter family without its
 * _total suffix; the text format uses the sample name. */
static void family(struct out *o, const char *name, const char *type, const char *help)
{
    size_t n = strlen(name);
    const char *fam = name;

    if (o->om && strcmp(type, "counter") == 0 && n > 6 && strcmp(name + n - 6, "_total") == 0)
        fam = apr_pstrndup(o->r->pool, name, n - 6);
    ap_rprintf(o->r, "# HELP %s %s\n# TYPE %s %s\n", fam, help, fam, type);
    if (o->om && strstr(name, "_seconds"))
        ap_rprintf(o->r, "# UNIT %s seconds\n", fam);
}

/* One histogram is formatted into one buffer and written at once: with
 * a thousand vhosts, a write per line dominated the page's cost. */
static void hist(struct out *o, const char *name, const char *lbl, const struct phpbpf_hist *h)
{
    /* a line: name, vhost label (a 255-byte name escaped to at most 510), le, count */
    char buf[(NBOUNDS + 3) * 704];
    apr_size_t at = 0;
    __u64 cum = 0;
    __u32 b = 0;
    unsigned i;

    for (i = 0; i < NBOUNDS && at < sizeof(buf); i++) {
        __u64 le = phpbpf_metric_bound(i);

        /* The BPF bucket holding le starts exactly at le: count all before. */
        while (b < PHPBPF_HIST_BUCKETS && phpbpf_bucket_lower(b) < le)
            cum += h->bucket[b++];
        at += apr_snprintf(buf + at, sizeof(buf) - at, "%s_bucket{%s,le=\"%s\"} " U64 "\n", name,
                           lbl, le_text[i], (apr_uint64_t)cum);
    }
    for (; b < PHPBPF_HIST_BUCKETS; b++)
        cum += h->bucket[b];
    /* +Inf and _count from the same buckets, so they always agree. */
    if (at < sizeof(buf))
        at += apr_snprintf(buf + at, sizeof(buf) - at, "%s_bucket{%s,le=\"+Inf\"} " U64 "\n"
                           "%s_sum{%s} %.6f\n%s_count{%s} " U64 "\n", name, lbl,
                           (apr_uint64_t)cum, name, lbl, (double)h->sum_us / 1e6, name, lbl,
                           (apr_uint64_t)cum);
    ap_rwrite(buf, (int)at, o->r);
}

static const char *vlabel(struct out *o, const struct phpbpf_view *v, __u32 i)
{
    if (!o->lbl[i])
        o->lbl[i] = apr_pstrcat(o->r->pool, "vhost=\"", label(o->r->pool, v->sh->vhost[i].name),
                                "\"", NULL);
    return o->lbl[i];
}

static void per_vhost(struct out *o, const struct phpbpf_view *v)
{
    __u32 k, i, c;

    family(o, "phpbpf_request_duration_seconds", "histogram",
           "Apache request time of PHP requests: request read to logged, as %D.");
    for (k = 0; k < o->n; k++) {
        i = o->idx[k];
        hist(o, "phpbpf_request_duration_seconds", vlabel(o, v, i), &v->sh->vhost[i].apache);
    }
    family(o, "phpbpf_php_duration_seconds", "histogram",
           "PHP time: php:request__startup to php:request__shutdown.");
    for (k = 0; k < o->n; k++) {
        i = o->idx[k];
        hist(o, "phpbpf_php_duration_seconds", vlabel(o, v, i), &phpbpf_bpf(v, i)->php);
    }
    family(o, "phpbpf_requests_total", "counter", "PHP requests by final status class.");
    for (k = 0; k < o->n; k++)
        for (c = 1; c < 5; c++)
            ap_rprintf(o->r, "phpbpf_requests_total{%s,code=\"%s\"} " U64 "\n",
                       vlabel(o, v, o->idx[k]), status_names[c],
                       (apr_uint64_t)v->sh->vhost[o->idx[k]].status[c]);
    if (v->sh->compile_tracing && v->snap) {
        family(o, "phpbpf_compile_duration_seconds", "histogram",
               "PHP compile time (opcache misses); PhpBpfCompileTracing On.");
        for (k = 0; k < o->n; k++) {
            i = o->idx[k];
            hist(o, "phpbpf_compile_duration_seconds", vlabel(o, v, i), &phpbpf_bpf(v, i)->compile);
        }
    }
    family(o, "phpbpf_php_cpu_seconds_total", "counter", "On-CPU time of PHP requests.");
    for (k = 0; k < o->n; k++) {
        i = o->idx[k];
        ap_rprintf(o->r, "phpbpf_php_cpu_seconds_total{%s} %.6f\n", vlabel(o, v, i),
                   (double)phpbpf_bpf(v, i)->cpu.on.sum_us / 1e6);
    }
    family(o, "phpbpf_php_offcpu_seconds_total", "counter",
           "Off-CPU (waiting) time of PHP requests.");
    for (k = 0; k < o->n; k++) {
        i = o->idx[k];
        ap_rprintf(o->r, "phpbpf_php_offcpu_seconds_total{%s} %.6f\n", vlabel(o, v, i),
                   (double)phpbpf_bpf(v, i)->cpu.off.sum_us / 1e6);
    }
    family(o, "phpbpf_errors_total", "counter", "PHP errors logged, all levels.");
    for (k = 0; k < o->n; k++) {
        const struct phpbpf_vhost_rec *vh;

        i = o->idx[k];
        vh = &v->sh->vhost[i];
        ap_rprintf(o->r, "phpbpf_errors_total{%s} " U64 "\n", vlabel(o, v, i),
                   (apr_uint64_t)(vh->errors[0] + vh->errors[1] + vh->errors[2] + vh->errors[3]));
    }
    family(o, "phpbpf_exceptions_total", "counter",
           "PHP exceptions: thrown, and uncaught in a request that ended 5xx.");
    for (k = 0; k < o->n; k++) {
        const char *l;

        i = o->idx[k];
        l = vlabel(o, v, i);
        ap_rprintf(o->r, "phpbpf_exceptions_total{%s,kind=\"thrown\"} " U64 "\n"
                   "phpbpf_exceptions_total{%s,kind=\"uncaught\"} " U64 "\n",
                   l, (apr_uint64_t)phpbpf_bpf(v, i)->v.exc_thrown, l,
                   (apr_uint64_t)v->sh->vhost[i].uncaught);
    }
}

static void self_metrics(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    unsigned k;

    family(o, "phpbpf_tracing_active", "gauge", "1 when the helper traces PHP.");
    ap_rprintf(o->r, "phpbpf_tracing_active %d\n", s && !v->unavailable ? 1 : 0);
    family(o, "phpbpf_probes_attached", "gauge", "1 for each probe the helper attached.");
    for (k = 0; k < PHPBPF_NPROBES; k++)
        ap_rprintf(o->r, "phpbpf_probes_attached{probe=\"%s\"} %d\n", probe_names[k],
                   s && (s->probes & (1u << k)) ? 1 : 0);
    family(o, "phpbpf_helper_restarts_total", "counter", "Helper restarts after a crash.");
    ap_rprintf(o->r, "phpbpf_helper_restarts_total %u\n", v->sh->restarts);
    if (!s)
        return;
    family(o, "phpbpf_helper_start_time_seconds", "gauge",
           "When the helper started; PHP-side counters restart with it.");
    ap_rprintf(o->r, "phpbpf_helper_start_time_seconds %.3f\n", (double)s->started_us / 1e6);
    family(o, "phpbpf_events_lost_total", "counter",
           "Events not counted normally: slow-log events with no ring-buffer room, and request "
           "ends whose start was missed.");
    ap_rprintf(o->r, "phpbpf_events_lost_total " U64 "\n",
               (apr_uint64_t)(s->counters[PHPBPF_CTR(slow_lost)] + s->counters[PHPBPF_CTR(orphans)]));
    family(o, "phpbpf_map_overflows_total", "counter",
           "Entries a bounded table could not hold, counted as other or evicted.");
    ap_rprintf(o->r, "phpbpf_map_overflows_total{map=\"vhosts\"} " U64 "\n"
               "phpbpf_map_overflows_total{map=\"exception_classes\"} " U64 "\n"
               "phpbpf_map_overflows_total{map=\"errors\"} " U64 "\n"
               "phpbpf_map_overflows_total{map=\"inflight\"} " U64 "\n",
               (apr_uint64_t)s->counters[PHPBPF_CTR(vhost_overflow)],
               (apr_uint64_t)s->counters[PHPBPF_CTR(class_overflow)],
               (apr_uint64_t)v->sh->errors_other,
               (apr_uint64_t)s->counters[PHPBPF_CTR(inflight_errors)]);
}

void phpbpf_render_metrics(request_rec *r, const struct phpbpf_view *v, int openmetrics)
{
    struct out o = { r, openmetrics, NULL, 0, NULL };
    __u32 i;

    if (!le_text[0][0])
        for (i = 0; i < NBOUNDS; i++)
            apr_snprintf(le_text[i], sizeof(le_text[i]), "%.6f",
                         (double)phpbpf_metric_bound(i) / 1e6);
    o.lbl = apr_pcalloc(r->pool, v->sh->nvhosts * sizeof(*o.lbl));
    /* Every configured vhost, with or without traffic yet, so its series
     * exist from zero and rate() sees the first requests; (other) only
     * once something was counted there. */
    o.idx = apr_palloc(r->pool, v->sh->nvhosts * sizeof(*o.idx));
    for (i = 0; i < v->sh->nvhosts; i++)
        if (i != PHPBPF_VHOST_OTHER || v->sh->vhost[i].apache.count || phpbpf_bpf(v, i)->php.count)
            o.idx[o.n++] = i;

    per_vhost(&o, v);
    self_metrics(&o, v);
    if (openmetrics)
        ap_rputs("# EOF\n", r);
}
