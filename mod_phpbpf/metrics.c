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
#include "text.h"

#define U64 "%" APR_UINT64_T_FMT

static const char *const code_text[] = { ",code=\"1xx\"}", ",code=\"2xx\"}", ",code=\"3xx\"}",
                                         ",code=\"4xx\"}", ",code=\"5xx\"}" };
static const char *const probe_names[] = { PHPBPF_PROBE_NAMES };

#define NBOUNDS PHPBPF_METRIC_BOUNDS

/* Lines are built in a 64 KB buffer that goes to Apache whole: about
 * 90,000 of them with a thousand vhosts, which printf and a write each
 * made three times slower than the rest of the page's work. */
#define OUT_SIZE (64 * 1024)

struct out {
    request_rec *r;
    struct phpbpf_out b;
    int om;                     /* OpenMetrics */
    __u32 *idx, n;              /* the vhosts exported */
    const char **lbl;           /* vhost="..." per vhost index, escaped once */
};

/* Per bound: the bucket that starts at it, and ',le="<bound>"} '.  Made
 * once per process. */
static __u32 le_bucket[NBOUNDS];
static char le_text[NBOUNDS][24];

static void to_apache(void *r, const char *p, size_t n)
{
    ap_rwrite(p, (int)n, r);
}

static void printf_line(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* For the few lines that are not per vhost. */
static void printf_line(struct out *o, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    phpbpf_out_str(&o->b, apr_pvsprintf(o->r->pool, fmt, ap));
    va_end(ap);
}

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
    printf_line(o, "# HELP %s %s\n# TYPE %s %s\n", fam, help, fam, type);
    if (o->om && strstr(name, "_seconds"))
        printf_line(o, "# UNIT %s seconds\n", fam);
}

static char *put(char *at, const char *s, size_t n)
{
    memcpy(at, s, n);
    return at + n;
}

/* Seconds with six decimals, as "%.6f" of us / 1e6 prints them. */
static size_t fmt_seconds(char *dst, __u64 us)
{
    if (us < PHPBPF_FMT_MICRO_EXACT)
        return phpbpf_fmt_micro(dst, us);
    return apr_snprintf(dst, PHPBPF_FMT_MAX + 1, "%.6f", (double)us / 1e6);
}

/* One sample line, "<a><b><c><d> <value>\n"; with `seconds`, v is in
 * microseconds and shown in seconds. */
static void sample(struct out *o, const char *a, const char *b, const char *c, const char *d,
                   __u64 v, int seconds)
{
    size_t na = strlen(a), nb = strlen(b), nc = strlen(c), nd = strlen(d);
    char *at = phpbpf_out_room(&o->b, na + nb + nc + nd + PHPBPF_FMT_MAX + 2), *p = at;

    p = put(put(put(put(p, a, na), b, nb), c, nc), d, nd);
    *p++ = ' ';
    p += seconds ? fmt_seconds(p, v) : phpbpf_fmt_u64(p, v);
    *p++ = '\n';
    o->b.len += (size_t)(p - at);
}

/* A histogram's lines share "<name>_bucket{<vhost label>": it is put
 * together once, and each line is that, the bound and the count. */
static void hist(struct out *o, const char *name, const char *lbl,
                 const struct phpbpf_sparse *h)
{
    const char *pre = apr_pstrcat(o->r->pool, name, "_bucket{", lbl, NULL);
    size_t npre = strlen(pre);
    __u64 cum = 0;
    __u32 k = 0;
    unsigned i;

    for (i = 0; i < NBOUNDS; i++) {
        size_t nle = strlen(le_text[i]);
        char *at = phpbpf_out_room(&o->b, npre + nle + PHPBPF_FMT_MAX + 1), *p = at;

        /* The BPF bucket holding le starts exactly at le: count all before. */
        while (k < h->nnz && h->bucket[k].idx < le_bucket[i])
            cum += h->bucket[k++].count;
        p = put(put(p, pre, npre), le_text[i], nle);
        p += phpbpf_fmt_u64(p, cum);
        *p++ = '\n';
        o->b.len += (size_t)(p - at);
    }
    for (; k < h->nnz; k++)
        cum += h->bucket[k].count;
    /* +Inf and _count from the same buckets, so they always agree. */
    sample(o, pre, ",le=\"+Inf\"}", "", "", cum, 0);
    sample(o, name, "_sum{", lbl, "}", h->sum_us, 1);
    sample(o, name, "_count{", lbl, "}", cum, 0);
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
        hist(o, "phpbpf_request_duration_seconds", vlabel(o, v, i), &v->apache[i]);
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
            sample(o, "phpbpf_requests_total{", vlabel(o, v, o->idx[k]), code_text[c], "",
                   v->sh->vhost[o->idx[k]].status[c], 0);
    if (v->sh->compile_tracing && v->snap) {
        family(o, "phpbpf_compile_duration_seconds", "histogram",
               "PHP compile time (opcache misses); PhpBpfCompileTracing On.");
        for (k = 0; k < o->n; k++) {
            i = o->idx[k];
            hist(o, "phpbpf_compile_duration_seconds", vlabel(o, v, i), &phpbpf_bpf(v, i)->compile);
        }
    }
    /* Only when sched_switch really is attached: zeros would read as
     * "PHP used no CPU", not as "not measured". */
    if (v->sh->cpu_tracing && v->snap && (v->snap->probes & PHPBPF_PROBE_SCHED_SWITCH)) {
        family(o, "phpbpf_php_cpu_seconds_total", "counter",
               "On-CPU time of PHP requests; PhpBpfCpuTracing On.");
        for (k = 0; k < o->n; k++) {
            i = o->idx[k];
            sample(o, "phpbpf_php_cpu_seconds_total{", vlabel(o, v, i), "}", "",
                   phpbpf_bpf(v, i)->cpu.on.sum_us, 1);
        }
        family(o, "phpbpf_php_offcpu_seconds_total", "counter",
               "Off-CPU (waiting) time of PHP requests; PhpBpfCpuTracing On.");
        for (k = 0; k < o->n; k++) {
            i = o->idx[k];
            sample(o, "phpbpf_php_offcpu_seconds_total{", vlabel(o, v, i), "}", "",
                   phpbpf_bpf(v, i)->cpu.off.sum_us, 1);
        }
    }
    family(o, "phpbpf_errors_total", "counter", "PHP errors logged, all levels.");
    for (k = 0; k < o->n; k++) {
        const struct phpbpf_vhost_rec *vh;

        i = o->idx[k];
        vh = &v->sh->vhost[i];
        sample(o, "phpbpf_errors_total{", vlabel(o, v, i), "}", "",
               vh->errors[0] + vh->errors[1] + vh->errors[2] + vh->errors[3], 0);
    }
    family(o, "phpbpf_exceptions_total", "counter",
           "PHP exceptions: thrown, and uncaught in a request that ended 5xx.");
    for (k = 0; k < o->n; k++) {
        const char *l;

        i = o->idx[k];
        l = vlabel(o, v, i);
        sample(o, "phpbpf_exceptions_total{", l, ",kind=\"thrown\"}", "",
               phpbpf_bpf(v, i)->v.exc_thrown, 0);
        sample(o, "phpbpf_exceptions_total{", l, ",kind=\"uncaught\"}", "",
               v->sh->vhost[i].uncaught, 0);
    }
}

static void self_metrics(struct out *o, const struct phpbpf_view *v)
{
    const struct phpbpf_snapshot *s = v->snap;
    unsigned k;

    family(o, "phpbpf_tracing_active", "gauge", "1 when the helper traces PHP.");
    printf_line(o, "phpbpf_tracing_active %d\n", s && !v->unavailable ? 1 : 0);
    family(o, "phpbpf_probes_attached", "gauge", "1 for each probe the helper attached.");
    for (k = 0; k < PHPBPF_NPROBES; k++)
        printf_line(o, "phpbpf_probes_attached{probe=\"%s\"} %d\n", probe_names[k],
                    s && (s->probes & (1u << k)) ? 1 : 0);
    family(o, "phpbpf_helper_restarts_total", "counter", "Helper restarts after a crash.");
    printf_line(o, "phpbpf_helper_restarts_total %u\n", v->sh->restarts);
    if (!s)
        return;
    family(o, "phpbpf_helper_start_time_seconds", "gauge",
           "When the helper started; PHP-side counters restart with it.");
    printf_line(o, "phpbpf_helper_start_time_seconds %.3f\n", (double)s->started_us / 1e6);
    family(o, "phpbpf_events_lost_total", "counter",
           "Events not counted normally: slow-log events with no ring-buffer room, and request "
           "ends whose start was missed.");
    printf_line(o, "phpbpf_events_lost_total " U64 "\n",
                (apr_uint64_t)(s->counters[PHPBPF_CTR(slow_lost)] + s->counters[PHPBPF_CTR(orphans)]));
    family(o, "phpbpf_map_overflows_total", "counter",
           "Entries a bounded table could not hold, counted as other or evicted.");
    printf_line(o, "phpbpf_map_overflows_total{map=\"vhosts\"} " U64 "\n"
                "phpbpf_map_overflows_total{map=\"exception_classes\"} " U64 "\n"
                "phpbpf_map_overflows_total{map=\"errors\"} " U64 "\n"
                "phpbpf_map_overflows_total{map=\"inflight\"} " U64 "\n",
                (apr_uint64_t)s->counters[PHPBPF_CTR(vhost_overflow)],
                (apr_uint64_t)s->counters[PHPBPF_CTR(class_overflow)],
                (apr_uint64_t)v->sh->errors_other,
                (apr_uint64_t)s->counters[PHPBPF_CTR(inflight_errors)]);
}

static void bound_texts(void)
{
    unsigned i;

    if (le_text[0][0])
        return;
    for (i = 0; i < NBOUNDS; i++) {
        le_bucket[i] = phpbpf_hist_bucket(phpbpf_metric_bound(i));
        apr_snprintf(le_text[i], sizeof(le_text[i]), ",le=\"%.6f\"} ",
                     (double)phpbpf_metric_bound(i) / 1e6);
    }
}

void phpbpf_render_metrics(request_rec *r, const struct phpbpf_view *v, int openmetrics)
{
    struct out o = { r, { apr_palloc(r->pool, OUT_SIZE), 0, OUT_SIZE, to_apache, r },
                     openmetrics, NULL, 0, NULL };
    __u32 i;

    bound_texts();
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
        phpbpf_out_str(&o.b, "# EOF\n");
    phpbpf_out_flush(&o.b);
}
