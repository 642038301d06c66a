/* The four renderers (and mod_status's section) on reports made by hand:
 * no httpd, no helper, no shared memory.  What is checked is the text an
 * operator or a scraper reads: escaping of hostile strings in every
 * format, number formatting, an empty report, a vhost with no traffic,
 * an unavailable state, and JSON that parses. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_strings.h"

#include "escape.h"
#include "render.h"
#include "json_check.h"
#include "render_tests.h"
#include "tap.h"

/* ---------------------------------------------------------- capture */

static char *seen;
static size_t seen_len, seen_cap;

static void collect(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    if (seen_len + n + 1 > seen_cap) {
        seen_cap = (seen_len + n + 1) * 2;
        seen = realloc(seen, seen_cap);
    }
    memcpy(seen + seen_len, p, n);
    seen_len += n;
    seen[seen_len] = '\0';
}

enum fmt { HTML, AUTO, JSON, METRICS, OPENMETRICS };

/* The text a renderer gives for r, through a small buffer so that every
 * path that flushes is taken. */
static const char *render(const struct phpbpf_report *r, enum fmt f, apr_pool_t *p)
{
    static char buf[256];
    struct phpbpf_out o = { buf, 0, sizeof(buf), collect, NULL };

    seen_len = 0;
    collect(NULL, "", 0);
    switch (f) {
    case HTML: phpbpf_render_html(r, &o, p); break;
    case AUTO: phpbpf_render_auto(r, &o, p); break;
    case JSON: phpbpf_render_json(r, &o, p); break;
    case METRICS: phpbpf_render_metrics(r, &o, p, 0); break;
    case OPENMETRICS: phpbpf_render_metrics(r, &o, p, 1); break;
    }
    if (getenv("RENDER_DUMP"))
        fprintf(stderr, "----- format %d\n%s\n", f, seen);
    return apr_pstrdup(p, seen);
}

static int has(const char *text, const char *needle)
{
    return strstr(text, needle) != NULL;
}

static int count_of(const char *text, const char *needle)
{
    int n = 0;

    for (; (text = strstr(text, needle)) != NULL; text += strlen(needle))
        n++;
    return n;
}

/* --------------------------------------------------- report by hand */

static const struct phpbpf_sparse no_samples;

/* Latency summary of a histogram made of (bucket value, count) pairs, kept
 * in h. */
static void lat_of(struct phpbpf_report_lat *l, struct phpbpf_sparse *h,
                   struct phpbpf_sparse_bucket *b, uint32_t n, uint64_t sum, uint64_t max)
{
    uint32_t i;

    *h = (struct phpbpf_sparse){ 0, sum, max, n, b };
    for (i = 0; i < n; i++) {
        h->count += b[i].count;
        b[i].idx = phpbpf_hist_bucket(b[i].idx);    /* given as a value, in us */
    }
    l->hist = h;
    l->mean = phpbpf_sparse_mean(h);
    l->p50 = phpbpf_sparse_quantile(h, 0.5);
    l->p90 = phpbpf_sparse_quantile(h, 0.9);
    l->p99 = phpbpf_sparse_quantile(h, 0.99);
}

/* A vhost with no samples of anything. */
static void idle_vhost(struct phpbpf_report_vhost *v, const char *name)
{
    memset(v, 0, sizeof(*v));
    v->name = name;
    v->apache.hist = v->php.hist = v->compile.hist = v->on_cpu.hist = v->off_cpu.hist = &no_samples;
}

static const char *const probe_names[] = { "php:request__startup", "php:request__shutdown",
                                           "sched:sched_switch" };
static const char *const probe_kinds[] = { "usdt", "usdt", "tracepoint" };

/* (other) only, no traffic, no helper: what a server with PhpBpf Off or a
 * failed helper shows before its first request. */
static void empty_report(struct phpbpf_report *r, struct phpbpf_report_vhost *other,
                         struct phpbpf_report_probe *probes)
{
    unsigned k;

    memset(r, 0, sizeof(*r));
    idle_vhost(other, "(other)");
    for (k = 0; k < 3; k++)
        probes[k] = (struct phpbpf_report_probe){ probe_names[k], probe_kinds[k], 0 };
    r->quantiles = 1;
    r->server_name = "localhost";
    r->server_version = "Apache/2.4";
    r->now_us = 1764547200000000ULL;
    r->since_us = r->now_us - 90 * 1000000ULL;
    r->elapsed_s = 90;
    r->library = "/usr/lib/apache2/modules/libphp8.2.so";
    r->reason = "PhpBpf Off";
    r->probes = probes;
    r->nprobes = 3;
    r->vhost = other;
    r->nvhosts = 1;
    r->errors_max = 64;
    r->message_max = 159;
    r->classes_max = 256;
}

#define HOSTILE "/a<b>\"&'\x01\xff</script>"

static void test_empty(apr_pool_t *p)
{
    struct phpbpf_report r;
    struct phpbpf_report_vhost other;
    struct phpbpf_report_probe probes[3];
    const char *t;

    empty_report(&r, &other, probes);
    t = render(&r, HTML, p);
    ok(has(t, "<b>Tracing: unavailable</b> &mdash; PhpBpf Off") && has(t, "No PHP requests yet.")
       && has(t, "0 vhosts configured; 0 shown") && has(t, "</html>\n"),
       "empty report, HTML: the banner says why, and that there are no requests yet");
    ok(!has(t, "Probe counters") && !has(t, "Slow requests") && !has(t, "PHP compiles"),
       "empty report, HTML: no section that needs the helper");
    t = render(&r, AUTO, p);
    ok(strncmp(t, "TracingState: unavailable\nTracingReason: PhpBpf Off\nLibrary: ", 61) == 0
       && !has(t, "Vhost:") && !has(t, "Probe_"), "empty report, ?auto: state, reason, no vhost");
    t = render(&r, JSON, p);
    ok(json_ok(t), "empty report, ?json parses");
    ok(has(t, "\"state\": \"unavailable\", \"reason\": \"PhpBpf Off\"") && has(t, "\"vhosts\": []")
       && !has(t, "\"counters\""), "empty report, ?json: state, reason, no vhost, no counters");
    t = render(&r, METRICS, p);
    ok(has(t, "\nphpbpf_tracing_active 0\n") && count_of(t, "} 0\n") == 3
       && has(t, "phpbpf_probes_attached{probe=\"sched:sched_switch\"} 0\n"),
       "empty report, ?metrics: not active, every probe exported at 0");
    ok(!has(t, "vhost=") && !has(t, "phpbpf_helper_start_time_seconds"),
       "empty report, ?metrics: (other) is not exported before it counts anything");
    ok(!has(t, "# EOF"), "the text format has no # EOF");
    t = render(&r, OPENMETRICS, p);
    ok(has(t, "# TYPE phpbpf_requests counter\n") && has(t, "# UNIT phpbpf_request_duration_seconds seconds\n")
       && strcmp(t + strlen(t) - 6, "# EOF\n") == 0,
       "OpenMetrics: counter families without _total, units, # EOF at the end");
}

static void test_vhosts(apr_pool_t *p)
{
    static struct phpbpf_sparse_bucket ab[2] = { { 1500, 3 }, { 2500000, 1 } }, pb[1] = { { 900, 4 } };
    static struct phpbpf_sparse ah, ph;
    struct phpbpf_report_vhost v[3];
    struct phpbpf_report_probe probes[3];
    struct phpbpf_report_count ctr[2] = { { "hits", 8 }, { "foreign", 0 } };
    struct phpbpf_report r;
    static const uint32_t shown[] = { 2 }, exported[] = { 1, 2 };
    const char *t;

    empty_report(&r, &v[0], probes);
    idle_vhost(&v[1], "quiet.test:80");
    idle_vhost(&v[2], "a\"b\\c.test:80");
    v[2].requests = 4;
    v[2].per_s = 4.0 / 90;
    lat_of(&v[2].apache, &ah, ab, 2, 3 * 1500 + 2500000, 2500000);
    lat_of(&v[2].php, &ph, pb, 1, 3600, 950);
    v[2].status[1] = 3;
    v[2].status[4] = 1;
    v[2].method[0] = 4;
    v[2].errors[1] = 2;
    v[2].errors_total = 2;
    r.vhost = v;
    r.nvhosts = 3;
    r.shown = shown;
    r.nshown = 1;
    r.exported = exported;
    r.nexported = 2;
    r.vhosts_configured = 2;
    r.reason = NULL;
    r.helper = 1;
    r.helper_pid = 77;
    r.uptime_s = 3725;
    r.hits_per_request = 2;
    r.counters = ctr;
    r.ncounters = 2;
    probes[0].attached = probes[1].attached = 1;

    t = render(&r, HTML, p);
    ok(has(t, "<td class=l>a&quot;b\\c.test:80</td><td class=l></td><td>4</td><td>0.04</td>"),
       "HTML: the vhost row, its name escaped, requests and rate");
    /* 1500 us is in the bucket 1472..1535: p50 is its middle, 1503.5. */
    ok(has(t, "<td>626.13 ms</td><td>1.50 ms</td><td>2.50 s</td><td>2.50 s</td><td>2.50 s</td>"),
       "HTML: mean, p50, p90, p99 and max of Apache time, in ms and s");
    ok(has(t, "<td>900 &micro;s</td><td>912 &micro;s</td><td>912 &micro;s</td><td>912 &micro;s</td>"
              "<td>950 &micro;s</td>"), "HTML: PHP time in microseconds");
    ok(!has(t, "quiet.test"), "HTML: a vhost with no traffic is not in the tables");
    ok(has(t, "Tracing for 1h 2m (helper pid 77, restarts 0)") && has(t, "Probe hits per PHP request: 2.00"),
       "HTML: helper uptime and hits per request");
    ok(has(t, "<tr><td class=l>hits</td><td>8</td></tr>"), "HTML: the probe counters");
    ok(has(t, "Probes attached: php:request__startup (usdt) php:request__shutdown (usdt)<br>"),
       "HTML: each probe attached, and how");
    ok(!has(t, "Not traced on this libphp"), "HTML: no untraced line when everything is");
    t = render(&r, AUTO, p);
    ok(has(t, "Requests[a\"b\\c.test:80]: 4\n") && has(t, "LatencyP50Us[a\"b\\c.test:80]: 1504\n")
       && has(t, "LatencyMaxUs[a\"b\\c.test:80]: 2500000\n") && has(t, "Status5xx[a\"b\\c.test:80]: 1\n")
       && has(t, "Errors[a\"b\\c.test:80]: 2\n"), "?auto: per-vhost keys with the numbers");
    ok(!has(t, "quiet.test") && has(t, "ProbeHitsPerRequest: 2.000\n") && has(t, "Probe_hits: 8\n"),
       "?auto: no idle vhost; the helper's figures");
    t = render(&r, JSON, p);
    ok(json_ok(t), "?json parses with a vhost in it");
    ok(has(t, "\"probes\": [\"php:request__startup\", \"php:request__shutdown\"], \"probe_kinds\": "
              "{\"php:request__startup\": \"usdt\", \"php:request__shutdown\": \"usdt\"}, "
              "\"untraced\": null"), "?json: the probes, how each is attached, nothing untraced");
    ok(has(t, "{\"name\": \"a\\\"b\\\\c.test:80\", \"php_runs\": \"\", \"requests\": 4, \"requests_per_s\": 0.044, ")
       && has(t, "\"latency_us\": {\"count\": 4, \"mean\": 626125.0, \"p50\": 1503.5, "
                 "\"p90\": 2500000.0, \"p99\": 2500000.0, \"max\": 2500000}")
       && has(t, "\"status\": {\"2xx\": 3, \"3xx\": 0, \"4xx\": 0, \"5xx\": 1}"),
       "?json: the vhost's numbers");
    t = render(&r, METRICS, p);
    ok(has(t, "phpbpf_requests_total{vhost=\"quiet.test:80\",code=\"2xx\"} 0\n"),
       "?metrics: a configured vhost with no traffic is exported at zero");
    ok(!has(t, "phpbpf_request_duration_seconds_bucket{vhost=\"a\\\"b\\\\c.test:80\",le=\"0.")
       && has(t, "phpbpf_request_duration_seconds_bucket{vhost=\"a\\\"b\\\\c.test:80\",le=\"+Inf\"} 4\n"),
       "?metrics, by default: Apache time has no bucket but +Inf");
    r.metrics_fine = 1;
    t = render(&r, METRICS, p);
    ok(has(t, "phpbpf_request_duration_seconds_bucket{vhost=\"a\\\"b\\\\c.test:80\",le=\"0.001536\"} 3\n")
       && has(t, "phpbpf_request_duration_seconds_bucket{vhost=\"a\\\"b\\\\c.test:80\",le=\"+Inf\"} 4\n")
       && has(t, "phpbpf_request_duration_seconds_count{vhost=\"a\\\"b\\\\c.test:80\"} 4\n")
       && has(t, "phpbpf_request_duration_seconds_sum{vhost=\"a\\\"b\\\\c.test:80\"} 2.504500\n"),
       "?metrics: cumulative buckets, +Inf equal to _count, _sum in seconds, label escaped");
    ok(has(t, "phpbpf_tracing_active 1\n") && has(t, "phpbpf_probes_attached{probe=\"php:request__startup\"} 1\n")
       && !has(t, "phpbpf_php_cpu_seconds_total"),
       "?metrics: active; no CPU series when CPU tracing is off");
    ok(has(t, "\nphpbpf_helper_up 1\n") && has(t, "phpbpf_php_duration_seconds_count{")
       && has(t, "kind=\"thrown\"}"), "?metrics: the helper answered: up, and its families");
    /* The same report without the helper's part, as when it is restarting. */
    r.helper = 0;
    r.helper_unreachable = 1;
    t = render(&r, METRICS, p);
    ok(has(t, "\nphpbpf_helper_up 0\n") && !has(t, "phpbpf_php_duration_seconds")
       && !has(t, "kind=\"thrown\"") && !has(t, "phpbpf_events_lost_total")
       && has(t, "phpbpf_request_duration_seconds_count{vhost=\"a\\\"b\\\\c.test:80\"} 4\n")
       && has(t, "kind=\"uncaught\"}"),
       "?metrics, helper unreachable: up 0, no PHP-side family at all (not zeros), Apache's kept");
}

static void test_hostile(apr_pool_t *p)
{
    struct phpbpf_report_vhost v[2];
    struct phpbpf_report_probe probes[3];
    struct phpbpf_report r;
    struct phpbpf_report_request rec = { 1764547100000000ULL, 1200, "b.test:80", HOSTILE,
                                         "G\x01T", HOSTILE "?[query removed]", 200, HOSTILE };
    struct phpbpf_report_slow slow = {
        .vhost = "b.test:80", .method = "GET", .uri = HOSTILE, .script = "/srv/" HOSTILE ".php",
        .apache_known = 1, .time_us = 1764547100000000ULL, .apache_us = 600000, .status = 500,
        .errors = 1, .php_us = 550000, .exceptions = 2 };
    /* A file and a class with hostile names, as PHP allows them. */
    static const struct phpbpf_report_frame bt[3] = {
        { "usleep", "", 0, 1 }, { "Evil<b>\xff::wait", "/srv/<img src=x onerror=alert(1)>.php", 4, 0 },
        { "{main}", "/srv/q\"uote\x01.php", 9, 0 } };
    static const char *const fold_frames[3] = { "{main}", "Evil<b>\xff::wait", "usleep" };
    static const char *const fold_comps[3] = { "(application)", "plugin <evil>", NULL };
    static const struct phpbpf_report_folded folded = { fold_frames, fold_comps, 3, 7 };
    static const struct phpbpf_report_func fn[3] = { { { "usleep", "", 0, 1 }, 7, 7 },
        { { "Evil<b>\xff::wait", "/srv/<img src=x onerror=alert(1)>.php", 4, 0 }, 0, 7 },
        { { "{main}", "/srv/q\"uote\x01.php", 9, 0 }, 0, 7 } };
    static const struct phpbpf_report_profile prof = { 7, 0, fn, fn, 3, &folded, 1, NULL, 0 };
    struct phpbpf_report_error err = { "warning", "Undefined " HOSTILE, "/srv/" HOSTILE ".php", 3, 7 };
    struct phpbpf_report_class cls = { 1, "b.test:80", "Evil<img src=x onerror=alert(1)>\xc3\xa9\xff", 2 };
    static struct phpbpf_sparse_bucket sb[1] = { { 300, 1 } };
    static struct phpbpf_sparse sh;
    struct phpbpf_report_script scr = { 1, "b.test:80", "/srv/" HOSTILE ".php", { NULL, 0, 0, 0, 0 } };
    static const uint32_t shown[] = { 1 };
    const char *t;
    int f;

    empty_report(&r, &v[0], probes);
    idle_vhost(&v[1], "b.test:80");
    v[1].requests = 1;
    v[1].profile = &prof;
    slow.backtrace = 1;
    slow.backtrace_at_us = 212000;
    slow.frame = bt;
    slow.nframes = 3;
    r.vhost = v;
    r.nvhosts = 2;
    r.shown = shown;
    r.nshown = 1;
    r.reason = "the helper refused the request: <b>" HOSTILE;
    r.untraced = "compile tracing: cannot read " HOSTILE "\nFake: 1";
    r.helper_unreachable = 1;
    r.recent = &rec;
    r.nrecent = 1;
    r.slow = &slow;
    r.nslow = 1;
    r.slow_threshold_us = 500000;
    r.slow_size = 20;
    r.errors = &err;
    r.nerrors = 1;
    r.classes = &cls;
    r.nclasses = 1;
    lat_of(&scr.compile, &sh, sb, 1, 300, 300);
    r.scripts = &scr;
    r.nscripts = 1;
    r.compile_tracing = 1;
    r.compile_traced = 1;
    r.helper = 1;              /* so that every section is drawn */
    r.stacks_state = 1;
    r.profile_hz = 99;
    t = render(&r, HTML, p);
    /* The one script is the flame graph's own. */
    ok(!has(t, "<b>/a") && count_of(t, "<script") == 1 && count_of(t, "</script") == 1
       && has(t, "<script>\n/* Click a frame to zoom") && !has(t, "<img")
       && !has(t, "\x01") && !has(t, "\xff"),
       "HTML: no markup, control or invalid byte from a request or PHP gets through");
    ok(has(t, "&mdash; the helper refused the request: &lt;b&gt;/a&lt;b&gt;\\&quot;&amp;'\\x01\\xff"),
       "HTML: the reason is escaped in the banner");
    ok(has(t, "Not traced on this libphp: compile tracing: cannot read /a&lt;b&gt;\\&quot;&amp;'\\x01"
              "\\xff&lt;/script&gt;\\nFake: 1<br>"), "HTML: what is not traced, and why, escaped");
    ok(has(t, "<td class=l>/a&lt;b&gt;\\&quot;&amp;'\\x01\\xff&lt;/script&gt;?[query removed]</td>")
       || has(t, "G\\x01T /a&lt;b&gt;\\&quot;&amp;'\\x01\\xff&lt;/script&gt;?[query removed]</td>"),
       "HTML: the recent request is log-escaped, then HTML-escaped");
    ok(has(t, "Evil&lt;img src=x onerror=alert(1)&gt;\\xc3\\xa9\\xff"),
       "HTML: an exception class with markup and non-ASCII bytes");
    ok(has(t, "Undefined /a&lt;b&gt;&quot;&amp;'\\x01\\xff&lt;/script&gt;"),
       "HTML: an error message, with its quotes as entities (PHP's messages are full of them)");
    ok(has(t, "PHP backtrace, taken 212.00 ms into the request:\nusleep() (internal)\n"
              "Evil&lt;b&gt;\\xff::wait() /srv/&lt;img src=x onerror=alert(1)&gt;.php:4\n"
              "{main}() /srv/q\\&quot;uote\\x01.php:9\n</pre>"),
       "HTML: the slow request's backtrace, innermost first, every name escaped");
    ok(has(t, "<td class=l>Evil&lt;b&gt;\\xff::wait</td><td class=l>/srv/&lt;img src=x "
              "onerror=alert(1)&gt;.php:4</td><td>0.0%</td><td>100.0%</td>")
       && has(t, "<td class=l>usleep</td><td class=l>(internal)</td><td>100.0%</td><td>100.0%</td>"),
       "HTML: top functions, with file:line or (internal), self and total shares");
    ok(has(t, "<div class=fg>") && has(t, "title=\"Evil&lt;b&gt;\\xff::wait: 7 samples, 100.0%\">"
              "Evil&lt;b&gt;\\xff::wait</span>") && has(t, "<script>"),
       "HTML: a flame graph with the escaped frame, and its zoom script inline");
    t = render(&r, JSON, p);
    ok(json_ok(t), "?json with hostile strings parses");
    ok(!has(t, "<") && !has(t, ">") && !has(t, "\x01") && !has(t, "\xff"),
       "?json: no raw markup, control or invalid byte");
    ok(has(t, "\"uri\": \"/a\\u003cb\\u003e\\\"\\u0026'\\u0001\\ufffd\\u003c/script\\u003e\"")
       && has(t, "\"class\": \"Evil\\u003cimg src=x onerror=alert(1)\\u003e\xc3\xa9\\ufffd\""),
       "?json: \\u escapes, valid UTF-8 kept, invalid bytes as U+FFFD");
    ok(has(t, "\"time\": 1764547100, \"status\": 500, \"apache_us\": 600000, \"errors\": 1"),
       "?json: the slow request joined with Apache's record");
    ok(has(t, "\"backtrace\": [{\"function\": \"usleep\", \"file\": null, \"line\": null, "
              "\"internal\": true}, {\"function\": \"Evil\\u003cb\\u003e\\ufffd::wait\", \"file\": "
              "\"/srv/\\u003cimg src=x onerror=alert(1)\\u003e.php\", \"line\": 4, \"internal\": false}")
       && has(t, "\"backtrace_at_us\": 212000, \"backtrace_truncated\": false"),
       "?json: the backtrace as an array of frames, escaped");
    ok(has(t, "\"profile\": {\"samples\": 7, \"dropped\": 0, \"by_self\": [{\"function\": \"usleep\""),
       "?json: the vhost's top functions");
    {
        static char buf[64];
        struct phpbpf_out o = { buf, 0, sizeof(buf), collect, NULL };

        seen_len = 0;
        phpbpf_render_folded(&r, &o, p, -1);
        ok(strcmp(seen, "b.test:80;{main};Evil<b>\\xff::wait;usleep 7\n") == 0,
           "?profile: folded, root first, the vhost as root, bytes that are not ASCII as \\xNN: %s", seen);
        seen_len = 0;
        phpbpf_render_folded(&r, &o, p, 1);
        ok(strcmp(seen, "{main};Evil<b>\\xff::wait;usleep 7\n") == 0, "?profile=VHOST: that vhost's only");
    }
    for (f = METRICS; f <= OPENMETRICS; f++) {
        t = render(&r, f, p);
        ok(!has(t, "/a<") && !has(t, "/srv/") && !has(t, "Evil") && !has(t, "Undefined"),
           "?metrics%s: no URI, script, class or message, ever", f == OPENMETRICS ? " (OpenMetrics)" : "");
    }
    t = render(&r, AUTO, p);
    ok(!has(t, "/srv/") && !has(t, "[query removed]") && !has(t, "Evil"),
       "?auto: no URI, script or class either");
    ok(has(t, "\nUntraced: compile tracing: cannot read /a<b>\\\"&'\\x01\\xff</script>\\nFake: 1\n")
       && !has(t, "\nFake: 1") && has(t, "TracingReason: the helper refused the request: <b>/a<b>\\\""),
       "?auto: reasons stay on their line, control bytes as \\xNN");
}

/* What requests waited on: per vhost by class, per call site (hostile
 * names escaped), per slow request, in every format; a full call-site
 * table said on the page and in ?metrics. */
static void test_waits(apr_pool_t *p)
{
    struct phpbpf_report_vhost v[2];
    struct phpbpf_report_probe probes[3];
    struct phpbpf_report r;
    static struct phpbpf_report_wait w[PHPBPF_REPORT_WAIT_CLASSES];
    static const struct phpbpf_report_site site[2] = {
        { { "Evil<b>\xff::query", "/srv/<img src=x onerror=alert(1)>.php", 2056, 0 }, "mysql", 120, 35000,
          "plugin <b>evil" },
        { { "fetch", "/srv/http.php", 7, 0 }, "http", 2, 400000, "(application)" } };
    static const struct phpbpf_report_component_wait cw[2] = {
        { "(application)", "http", 2, 400000 }, { "plugin <b>evil", "mysql", 120, 35000 } };
    struct phpbpf_report_slow slow = {
        .vhost = "b.test:80", .method = "GET", .uri = "/slow.php", .script = "/srv/slow.php",
        .apache_known = 1, .time_us = 1764547100000000ULL, .apache_us = 1850000, .status = 200,
        .php_us = 1840000, .on_us = 150000, .off_us = 1690000 };
    static const uint32_t shown[] = { 1 };
    const char *t;
    int f;

    empty_report(&r, &v[0], probes);
    idle_vhost(&v[1], "b.test:80");
    v[1].requests = 4;
    w[0] = (struct phpbpf_report_wait){ 1210000, 37, 302500, 0.6576 };    /* mysql */
    w[4] = (struct phpbpf_report_wait){ 400000, 2, 100000, 0.2174 };      /* http */
    w[10] = (struct phpbpf_report_wait){ 80000, 3, 20000, 0.0435 };       /* runqueue */
    v[1].wait = w;
    v[1].sites = site;
    v[1].nsites = 2;
    v[1].component_waits = cw;
    v[1].ncomponent_waits = 2;
    slow.wait_us[0] = 1210000, slow.waits[0] = 37;
    slow.wait_us[4] = 400000, slow.waits[4] = 2;
    slow.wait_us[10] = 80000, slow.waits[10] = 3;
    r.vhost = v;
    r.nvhosts = 2;
    r.shown = r.exported = shown;
    r.nshown = r.nexported = 1;
    r.reason = NULL;
    r.helper = 1;
    r.cpu_traced = 1;
    r.slow = &slow;
    r.nslow = 1;
    r.slow_threshold_us = 500000;
    r.slow_size = 20;
    r.sites_lost = 9;
    r.sites_max = 4096;
    t = render(&r, HTML, p);
    ok(has(t, "<h2>What PHP waited on</h2>")
       && has(t, "<tr><td class=l>b.test:80</td><td class=l>mysql</td><td>1.21 s</td><td>302.50 ms</td>"
                 "<td>65.8%</td><td>37</td></tr>")
       && has(t, "<td class=l>runqueue</td>") && !has(t, "<td class=l>pgsql</td>"),
       "HTML: per vhost, the classes it waited on: total, per request, share, waits");
    ok(has(t, "<h3>b.test:80: waits by PHP call site, the last ")
       && has(t, "<tr><td class=l>Evil&lt;b&gt;\\xff::query</td><td class=l>/srv/&lt;img src=x "
                 "onerror=alert(1)&gt;.php:2056</td><td class=l>mysql</td><td>120</td><td>35.00 ms</td></tr>")
       && !has(t, "<img"),
       "HTML: waits by call site, the function and file escaped");
    ok(has(t, "<h3>b.test:80: waits by component, the last ")
       && has(t, "<tr><td class=l>plugin &lt;b&gt;evil</td><td class=l>mysql</td><td>120</td>"
                 "<td>35.00 ms</td>"),
       "HTML: waits by component, the component escaped");
    ok(has(t, "<pre class=bt>1.84 s = 1.21 s mysql (37 waits) + 400.00 ms http (2) + 80.00 ms runqueue"
              " + 150.00 ms on-CPU</pre>"),
       "HTML: the slow request's PHP time split, the longest first, runqueue without a count");
    ok(has(t, "<p>9 waits of new call sites were not kept (they are in the classes above): the "
              "table holds 4096 a period, shared among vhosts;"),
       "HTML: a full call-site table is said, with the count");
    t = render(&r, JSON, p);
    ok(json_ok(t), "?json with waits parses");
    ok(has(t, "\"waits\": {\"mysql\": {\"count\": 37, \"total_us\": 1210000}, \"pgsql\": {\"count\": 0, "
              "\"total_us\": 0}")
       && has(t, "\"other\": {\"count\": 0, \"total_us\": 0}}, \"wait_sites\": [{\"function\": "
                 "\"Evil\\u003cb\\u003e\\ufffd::query\", \"file\": \"/srv/\\u003cimg src=x onerror=alert(1)"
                 "\\u003e.php\", \"line\": 2056, \"internal\": false, \"class\": \"mysql\", \"count\": 120, "
                 "\"total_us\": 35000, \"component\": \"plugin \\u003cb\\u003eevil\"}")
       && has(t, "\"wait_components\": [{\"component\": \"(application)\", \"class\": \"http\", "
                 "\"count\": 2, \"total_us\": 400000}, {\"component\": \"plugin \\u003cb\\u003eevil\""),
       "?json: per vhost every class, the call sites and their components escaped");
    ok(count_of(t, "\"runqueue\": {\"count\": 3, \"total_us\": 80000}") == 2,
       "?json: the slow request's waits too");
    for (f = METRICS; f <= OPENMETRICS; f++) {
        t = render(&r, f, p);
        ok(has(t, "phpbpf_wait_seconds_total{vhost=\"b.test:80\",class=\"mysql\"} 1.210000\n")
           && has(t, "phpbpf_waits_total{vhost=\"b.test:80\",class=\"http\"} 2\n")
           && has(t, "phpbpf_waits_total{vhost=\"b.test:80\",class=\"pgsql\"} 0\n")
           && has(t, "phpbpf_map_overflows_total{map=\"wait_sites\"} 9\n") && !has(t, "Evil"),
           "?metrics%s: seconds and waits by class, every class; the overflow; no function",
           f == OPENMETRICS ? " (OpenMetrics)" : "");
    }
    t = render(&r, AUTO, p);
    ok(has(t, "WaitUs[b.test:80][mysql]: 1210000\nWaits[b.test:80][mysql]: 37\n") && !has(t, "Evil"),
       "?auto: WaitUs and Waits per vhost and class");
}

static void test_status(apr_pool_t *p)
{
    struct phpbpf_status_section s = { "unavailable", "no <BTF> & \"more\"", 12, 3 };
    static char buf[64];
    struct phpbpf_out o = { buf, 0, sizeof(buf), collect, NULL };

    seen_len = 0;
    phpbpf_render_status(&s, &o, p, 0);
    ok(has(seen, "Tracing: unavailable &mdash; no &lt;BTF&gt; &amp; &quot;more&quot;</dt>")
       && has(seen, "PHP requests: 12, of which 5xx: 3"), "mod_status section: escaped reason, counts");
    seen_len = 0;
    phpbpf_render_status(&s, &o, p, 1);
    ok(strcmp(seen, "PhpBpfTracing: unavailable\nPhpBpfPhpRequests: 12\nPhpBpfPhp5xx: 3\n") == 0,
       "mod_status ?auto: three lines");
}

void render_tests(void)
{
    apr_pool_t *p;

    apr_initialize();
    apr_pool_create(&p, NULL);
    ok(json_ok("{\"a\": [1, -2.5, \"\\u00e9\", true, null]}") && !json_ok("{\"a\": 01}")
       && !json_ok("[1,]") && !json_ok("\"\x01\""), "the JSON checker tells good from bad");
    test_empty(p);
    test_vhosts(p);
    test_hostile(p);
    test_waits(p);
    test_status(p);
    apr_pool_destroy(p);
    apr_terminate();
    free(seen);
}
