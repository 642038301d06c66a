/* Unit tests for the parts that run without httpd: histogram math, the
 * snapshot protocol, text formatting and the helper's command line here,
 * the renderers in render_tests.c.  Prints TAP, so prove (via t/01unit.t)
 * reads it directly. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <arpa/inet.h>
#include "hist.h"
#include "snapshot.h"
#include "out.h"
#include "escape.h"
#include "phperror.h"
#include "render_tests.h"
#include "stacks_tests.h"
#include "sockdir_tests.h"
#include "fpm_tests.h"
#include "route_tests.h"
#include "sqlnorm_tests.h"
#include "mysqlnd_tests.h"
#include "ftable_tests.h"
#include "buildid_tests.h"
#include "golden_tests.h"
#include "helper_tests.h"
#include "component.h"
#include "tap.h"
#include "shm.h"
#include "peers.h"
#include "apr_general.h"
#include "apr_strings.h"

static int within(double got, double want, double rel)
{
    return fabs(got - want) <= rel * want + 1e-9;
}

static void test_buckets(void)
{
    uint64_t v;
    uint32_t prev = 0, idx;
    int bad_range = 0, bad_mono = 0, bad_width = 0;

    for (v = 0; v < 5000000; v += (v < 2048 ? 1 : v / 1000)) {
        idx = phpbpf_hist_bucket(v);
        if (v < phpbpf_bucket_lower(idx)
            || v >= phpbpf_bucket_lower(idx) + phpbpf_bucket_width(idx))
            bad_range++;
        if (idx < prev)
            bad_mono++;
        prev = idx;
    }
    ok(bad_range == 0, "every value falls inside its bucket's bounds (%d misses)", bad_range);
    ok(bad_mono == 0, "bucket index never decreases as values grow");
    for (idx = PHPBPF_HIST_SUB; idx < PHPBPF_HIST_BUCKETS; idx++)
        if ((double)phpbpf_bucket_width(idx) / (double)phpbpf_bucket_lower(idx) > 1.0 / 16 + 1e-12)
            bad_width++;
    ok(bad_width == 0, "no bucket is wider than 1/16 of its lower bound");
    ok(phpbpf_hist_bucket(0) == 0 && phpbpf_hist_bucket(15) == 15 && phpbpf_hist_bucket(31) == 31,
       "values below 32 us get exact buckets");
    ok(phpbpf_hist_bucket(~0ULL) == PHPBPF_HIST_BUCKETS - 1, "huge values land in the last bucket");
    for (idx = 1, bad_range = 0; idx < PHPBPF_HIST_BUCKETS; idx++)
        if (phpbpf_bucket_lower(idx) != phpbpf_bucket_lower(idx - 1) + phpbpf_bucket_width(idx - 1))
            bad_range++;
    ok(bad_range == 0, "buckets are contiguous");
    ok(phpbpf_log2(1) == 0 && phpbpf_log2(2) == 1 && phpbpf_log2(1ULL << 40) == 40
       && phpbpf_log2((1ULL << 40) - 1) == 39, "log2 is exact at powers of two");
}

static void test_metric_bounds(void)
{
    unsigned i, bad = 0;

    for (i = 0; i < PHPBPF_METRIC_BOUNDS; i++) {
        uint64_t le = phpbpf_metric_bound(i);

        if (phpbpf_bucket_lower(phpbpf_hist_bucket(le)) != le
            || (i && le <= phpbpf_metric_bound(i - 1)))
            bad++;
    }
    ok(bad == 0, "every exported bound is an increasing, exact bucket boundary");
    ok(phpbpf_metric_bound(0) == 128 && phpbpf_metric_bound(PHPBPF_METRIC_BOUNDS - 1) == 3u << 23,
       "exported bounds run from 128 us to 25.2 s");
}

static void test_quantiles(void)
{
    static struct phpbpf_hist h, h2;
    uint64_t i;
    double worst = 0;

    ok(phpbpf_hist_quantile(&h, 0.5) == 0 && phpbpf_hist_mean(&h) == 0,
       "empty histogram: quantiles and mean are 0");
    for (i = 0; i < 1000; i++)
        phpbpf_hist_record(&h, 20000 + i % 7);
    ok(within(phpbpf_hist_quantile(&h, 0.5), 20003, 0.032), "constant 20 ms: p50 %.0f within 3.2%%",
       phpbpf_hist_quantile(&h, 0.5));
    ok(phpbpf_hist_quantile(&h, 0.99) <= h.max_us, "quantile never exceeds max");
    ok(h.count == 1000 && h.max_us == 20006, "count and max are exact");
    ok(within(phpbpf_hist_mean(&h), 20000 + 2997.0 / 1000, 1e-12), "mean is exact (%.3f)",
       phpbpf_hist_mean(&h));

    memset(&h, 0, sizeof(h));
    for (i = 1; i <= 100000; i++)
        phpbpf_hist_record(&h, i);
    for (i = 1; i <= 99; i++) {
        double q = (double)i / 100, got = phpbpf_hist_quantile(&h, q), want = q * 100000;
        double err = fabs(got - want) / want;

        if (err > worst)
            worst = err;
    }
    ok(worst <= 0.032, "uniform 1..100000 us: every percentile within 3.2%% (worst %.4f)", worst);
    ok(phpbpf_hist_quantile(&h, 1.0) == 100000, "p100 is the max");

    memset(&h2, 0, sizeof(h2));
    phpbpf_hist_record(&h2, 7);
    phpbpf_hist_merge(&h2, &h);
    ok(h2.count == 100001 && h2.max_us == 100000 && h2.bucket[7] == 2, "merge adds counts and keeps max");
    memset(&h, 0, sizeof(h));
    for (i = 0; i < 90; i++)
        phpbpf_hist_record(&h, 2000);
    for (i = 0; i < 10; i++)
        phpbpf_hist_record(&h, 20000);
    ok(within(phpbpf_hist_quantile(&h, 0.90), 2000, 0.032)
       && within(phpbpf_hist_quantile(&h, 0.91), 20000, 0.032),
       "bimodal: p90 in the low mode, p91 in the high one");
}

/* Decoder memory from a fixed arena, reset per decode. */
static unsigned char arena[4 << 20];
static size_t arena_used;
static int arena_calls;

static void *arena_alloc(void *ctx, size_t n)
{
    void *p;

    (void)ctx;
    arena_calls++;
    n = (n + 15) & ~(size_t)15;
    if (arena_used + n > sizeof(arena))
        return NULL;
    p = arena + arena_used;
    arena_used += n;
    return p;
}

static int decode(const unsigned char *p, size_t len, struct phpbpf_snapshot *s, uint32_t max,
                  const char **err)
{
    arena_used = 0;
    arena_calls = 0;
    return phpbpf_snapshot_decode(p, len, s, max, arena_alloc, NULL, err);
}

/* A snapshot histogram has exactly h's figures and non-empty buckets. */
static int same_hist(const struct phpbpf_sparse *s, const struct phpbpf_hist *h)
{
    static struct phpbpf_hist x;
    uint32_t k;

    memset(&x, 0, sizeof(x));
    x.count = s->count;
    x.sum_us = s->sum_us;
    x.max_us = s->max_us;
    for (k = 0; k < s->nnz; k++) {
        if (!s->bucket[k].count || (k && s->bucket[k].idx <= s->bucket[k - 1].idx))
            return 0;
        x.bucket[s->bucket[k].idx] = s->bucket[k].count;
    }
    return memcmp(&x, h, sizeof(x)) == 0;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void test_snap_quantiles(void)
{
    static const double q[] = { -1, 0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1, 2 };
    static struct phpbpf_hist h;
    static struct phpbpf_sparse_bucket room[PHPBPF_HIST_BUCKETS];
    struct phpbpf_sparse s;
    double all[sizeof(q) / sizeof(q[0])];
    int i, j, k, bad = 0, bad_walk = 0;

    for (i = 0; i < 2000; i++) {
        memset(&h, 0, sizeof(h));
        for (k = (int)(rng() % 40); k > 0; k--)
            phpbpf_hist_record(&h, rng() >> (rng() % 64));
        if (i % 7 == 0)
            h.max_us /= 2;                  /* max below the top bucket's middle */
        if (i % 11 == 0)
            h.bucket[rng() % PHPBPF_HIST_BUCKETS] += rng() >> 1;
        phpbpf_sparse_from(&s, &h, room);
        phpbpf_sparse_quantiles(&s, q, all, sizeof(q) / sizeof(q[0]));
        for (j = 0; j < (int)(sizeof(q) / sizeof(q[0])); j++) {
            bad += phpbpf_sparse_quantile(&s, q[j]) != phpbpf_hist_quantile(&h, q[j]);
            bad_walk += all[j] != phpbpf_hist_quantile(&h, q[j]);
        }
        bad += phpbpf_sparse_mean(&s) != phpbpf_hist_mean(&h);
    }
    ok(bad == 0, "percentiles and means of snapshot histograms are the histogram's own (%d differ)",
       bad);
    ok(bad_walk == 0, "several percentiles in one walk are the same as one at a time (%d differ)",
       bad_walk);
}

static void test_snapshot(void)
{
    static struct phpbpf_snapshot s, d;
    static struct phpbpf_snap_vhost in[3];
    static struct phpbpf_snap_script scripts[2];
    /* the histograms as recorded, and room for their buckets in snapshots */
    static struct phpbpf_hist php1, php2, on2, off2, comp2, sc0, sc1;
    static struct phpbpf_sparse_bucket room[7][PHPBPF_HIST_BUCKETS];
    static struct phpbpf_snap_class classes[2] = { { 2, "FooException", 2 }, { 1, "Bar\\Baz", 1 } };
    static struct phpbpf_slow_event slow[1] = { { .seq = 77, .pid = 4321, .vhost = 2, .php_us = 612000,
        .compile_us = 50, .on_us = 12000, .off_us = 600000, .exc_thrown = 1, .method = "GET",
        .uri = "/slow.php", .script = "/var/www/slow.php" } };
    struct phpbpf_buf b = { 0 };
    uint32_t status, plen;
    const char *err = NULL;
    char msg[64];
    size_t cut;
    int bad = 0;
    struct phpbpf_request rq = { PHPBPF_REQ_MAGIC, PHPBPF_PROTO_VERSION, PHPBPF_REQ_SNAPSHOT, 42 };
    const uint64_t marker = 0x1122334455667788ULL;

    s.state = PHPBPF_STATE_ACTIVE;
    s.helper_pid = 1234;
    s.started_us = 1700000000000000ULL;
    s.now_us = s.started_us + 5000000;
    s.generation = 3;
    s.probes = 3;
    s.counters[0] = 10;
    s.counters[PHPBPF_NCOUNTERS - 1] = 99;
    strcpy(s.library, "/usr/lib/apache2/modules/libphp8.2.so");
    strcpy(s.reason, "");
    in[0].idx = 0;                          /* empty: not sent */
    in[1].idx = 1;
    phpbpf_hist_record(&php1, 20000);
    phpbpf_hist_record(&php1, 20500);
    phpbpf_sparse_from(&in[1].php, &php1, room[0]);
    in[2].idx = 2;
    phpbpf_hist_record(&php2, 3);
    php2.bucket[7] = marker;
    phpbpf_hist_record(&php2, 1ULL << 40);
    ok(phpbpf_sparse_from(&in[2].php, &php2, room[1]) == 3 && same_hist(&in[2].php, &php2),
       "a histogram takes its non-empty buckets only, in order");
    in[2].v.compiles = 7;
    in[2].v.compile_us = 700;
    phpbpf_hist_record(&on2, 40);
    phpbpf_hist_record(&off2, 99000);
    phpbpf_hist_record(&comp2, 321);
    phpbpf_sparse_from(&in[2].cpu.on, &on2, room[2]);
    phpbpf_sparse_from(&in[2].cpu.off, &off2, room[3]);
    phpbpf_sparse_from(&in[2].compile, &comp2, room[4]);
    s.vhosts = in;
    s.nvhosts = 3;
    strcpy(scripts[0].path, "/var/www/index.php");
    phpbpf_hist_record(&sc0, 150);
    phpbpf_sparse_from(&scripts[0].compile, &sc0, room[5]);
    strcpy(scripts[1].path, "/var/www/<script>.php");
    scripts[1].vhost = 2;
    phpbpf_hist_record(&sc1, 90);
    phpbpf_hist_record(&sc1, 95);
    phpbpf_sparse_from(&scripts[1].compile, &sc1, room[6]);
    s.scripts = scripts;
    s.nscripts = 2;
    s.scripts_tracked = 9;
    s.classes = classes;
    s.nclasses = 2;
    s.slow = slow;
    s.nslow = 1;
    in[1].v.exc_thrown = 3;

    ok(phpbpf_snapshot_encode(&b, &s) == 0, "encode succeeds");
    ok(phpbpf_reply_header(b.data, b.len, &status, &plen) == 0 && status == 0
       && plen == b.len - PHPBPF_RSP_HDR_LEN, "reply header is valid and sized");
    ok(decode(b.data + PHPBPF_RSP_HDR_LEN, plen, &d, 3, &err) == 0,
       "decode succeeds");
    ok(arena_calls <= 5, "decode allocates at most five times (%d)", arena_calls);
    ok(d.state == s.state && d.helper_pid == 1234 && d.started_us == s.started_us
       && d.now_us == s.now_us && d.generation == 3 && d.probes == 3,
       "scalar fields round-trip");
    ok(d.counters[0] == 10 && d.counters[PHPBPF_NCOUNTERS - 1] == 99, "counters round-trip");
    ok(strcmp(d.library, s.library) == 0 && d.reason[0] == '\0', "strings round-trip");
    ok(d.nvhosts == 2 && d.vhosts[0].idx == 1 && d.vhosts[1].idx == 2, "only non-empty vhosts are sent");
    ok(d.vhosts[1].v.compiles == 7 && d.vhosts[1].v.compile_us == 700, "per-vhost compile stats round-trip");
    ok(same_hist(&d.vhosts[1].cpu.on, &on2) && same_hist(&d.vhosts[1].cpu.off, &off2)
       && same_hist(&d.vhosts[1].compile, &comp2), "on/off-CPU and compile histograms round-trip");
    ok(d.vhosts[0].v.exc_thrown == 3
       && d.nclasses == 2 && strcmp(d.classes[1].name, "Bar\\Baz") == 0 && d.classes[0].count == 2
       && d.classes[0].vhost == 2 && d.classes[1].vhost == 1,
       "exception counts and classes, with their vhosts, round-trip");
    ok(d.nslow == 1 && memcmp(&d.slow[0], &slow[0], offsetof(struct phpbpf_slow_event, method)) == 0
       && strcmp(d.slow[0].uri, "/slow.php") == 0 && strcmp(d.slow[0].script, "/var/www/slow.php") == 0
       && strcmp(d.slow[0].method, "GET") == 0, "slow requests round-trip");
    ok(d.scripts_tracked == 9 && d.nscripts == 2 && strcmp(d.scripts[1].path, "/var/www/<script>.php") == 0
       && d.scripts[1].vhost == 2
       && same_hist(&d.scripts[1].compile, &sc1),
       "scripts round-trip");
    ok(same_hist(&d.vhosts[0].php, &php1) && same_hist(&d.vhosts[1].php, &php2),
       "histograms round-trip bucket for bucket");
    ok(decode(b.data + PHPBPF_RSP_HDR_LEN, plen, &d, 1, &err) != 0,
       "decode refuses more vhosts than the room it was given (%s)", err ? err : "");

    for (cut = 0; cut < plen; cut++)
        if (decode(b.data + PHPBPF_RSP_HDR_LEN, cut, &d, 3, &err) == 0)
            bad++;
    ok(bad == 0, "every truncation of the payload is refused");
    /* vhost 2's bucket 7 holds a count no other field has: its (u16
     * bucket, u64 count) pair is found by that count. */
    {
        unsigned char *at = memmem(b.data, b.len, &marker, sizeof(marker));

        uint16_t idx = 3;                  /* the bucket before it */

        ok(at != NULL, "the marker bucket is in the reply");
        if (at) {
            memcpy(at - 2, &idx, 2);
            bad = decode(b.data + PHPBPF_RSP_HDR_LEN, plen, &d, 3, &err) != 0;
            ok(bad, "a repeated bucket index is refused (%s)", err);
            memset(at - 2, 0xff, 2);
        }
    }
    ok(decode(b.data + PHPBPF_RSP_HDR_LEN, plen, &d, 3, &err) != 0,
       "an out-of-range bucket index is refused");
    b.data[0] ^= 1;
    ok(phpbpf_reply_header(b.data, b.len, &status, &plen) != 0, "a bad magic is refused");
    phpbpf_buf_free(&b);

    ok(phpbpf_error_encode(&b, "request comes from another server instance") == 0
       && phpbpf_reply_header(b.data, b.len, &status, &plen) == 0 && status == 1
       && phpbpf_error_decode(b.data + PHPBPF_RSP_HDR_LEN, plen, msg, sizeof(msg)) == 0
       && strcmp(msg, "request comes from another server instance") == 0,
       "error replies round-trip");
    phpbpf_buf_free(&b);

    ok(phpbpf_request_check(&rq, sizeof(rq), 42) == NULL, "a good request passes");
    ok(phpbpf_request_check(&rq, sizeof(rq) - 1, 42) != NULL, "a short request is refused");
    ok(phpbpf_request_check(&rq, sizeof(rq) + 1, 42) != NULL, "a long request is refused");
    ok(phpbpf_request_check(&rq, sizeof(rq), 43) != NULL, "another server's request is refused");
    rq.type = 9;
    ok(phpbpf_request_check(&rq, sizeof(rq), 42) != NULL, "an unknown type is refused");
}

static void test_utf8(void)
{
    static const struct { const char *s; size_t len; const char *what; } t[] = {
        { "a", 1, "ASCII" },
        { "\xc3\xa9", 2, "2-byte (e acute)" },
        { "\xe2\x80\xa6", 3, "3-byte (ellipsis)" },
        { "\xf0\x9f\x98\x80", 4, "4-byte (emoji)" },
        { "\xf4\x8f\xbf\xbf", 4, "U+10FFFF" },
        { "\x80", 0, "stray continuation byte" },
        { "\xc0\xaf", 0, "overlong 2-byte" },
        { "\xe0\x80\xaf", 0, "overlong 3-byte" },
        { "\xf0\x80\x80\xaf", 0, "overlong 4-byte" },
        { "\xed\xa0\x80", 0, "UTF-16 surrogate" },
        { "\xf4\x90\x80\x80", 0, "above U+10FFFF" },
        { "\xff\x80\x80", 0, "0xFF lead byte" },
        { "\xf5\x80\x80\x80", 0, "0xF5 lead byte" },
        { "\xe2\x80", 0, "truncated at the NUL" },
    };
    size_t i;

    for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
        ok(phpbpf_utf8_len((const unsigned char *)t[i].s) == t[i].len, "utf8: %s -> %zu",
           t[i].what, t[i].len);
}

static void test_php_error(void)
{
    struct phpbpf_php_error e;

    ok(phpbpf_parse_php_error("PHP Warning:  Undefined variable $x in /var/www/a.php on line 2", &e) == 0
       && e.level == 1 && !e.uncaught && e.msg_len == strlen("Undefined variable $x")
       && memcmp(e.msg, "Undefined variable $x", e.msg_len) == 0
       && e.file_len == strlen("/var/www/a.php") && memcmp(e.file, "/var/www/a.php", e.file_len) == 0
       && e.line == 2, "a warning: level, message, file and line");
    ok(phpbpf_parse_php_error("PHP Fatal error:  Uncaught BarException: boom in /w/x.php:5\n"
                              "Stack trace:\n#0 {main}\n  thrown in /w/x.php on line 5", &e) == 0
       && e.level == 0 && e.uncaught && e.line == 5 && e.file_len == strlen("/w/x.php")
       && e.msg_len == strlen("Uncaught BarException: boom in /w/x.php:5"),
       "an uncaught exception: first line as message, file and line from the end");
    ok(phpbpf_parse_php_error("PHP Notice:  odd in a.php in /w/b.php on line 9", &e) == 0
       && e.level == 2 && e.file_len == strlen("/w/b.php") && e.line == 9
       && e.msg_len == strlen("odd in a.php"), "\" in \" inside the message");
    ok(phpbpf_parse_php_error("PHP Deprecated:  old thing", &e) == 0 && e.level == 3 && !e.file,
       "no file: level other, no file");
    ok(phpbpf_parse_php_error("AH00128: File does not exist", &e) != 0, "not a PHP line");
    ok(phpbpf_parse_php_error("PHP Warning: one space", &e) != 0, "PHP's two spaces are required");
    {
        char out[128];

        /* As Apache's error log hook sees PHP's text: escaped. */
        phpbpf_log_unescape("PHP Warning:  bad \"q\" \\\\ \\xff\\n#0 \\x00 \\q \\x4", out, sizeof(out));
        ok(strcmp(out, "PHP Warning:  bad \"q\" \\ \xff\n#0 \\x00 \\q \\x4") == 0,
           "Apache's escapes undone once (\\x00 and unknown ones kept)");
        phpbpf_log_unescape("\\\\\\\\abc", out, 3);
        ok(strcmp(out, "\\\\") == 0, "bounded by the buffer, NUL-terminated");
    }
}

static void test_formatting(void)
{
    static const uint64_t edge[] = { 0, 1, 9, 10, 99, 100, 999999, 1000000, 1000001,
                                     4294967295ULL, 4294967296ULL, PHPBPF_FMT_MICRO_EXACT - 1,
                                     18446744073709551615ULL };
    char got[PHPBPF_FMT_MAX + 1], want[64];
    uint64_t x = 88172645463325252ULL, v;
    int i, bad_u64 = 0, bad_micro = 0;
    size_t n;

    for (i = 0; i < 200000; i++) {
        if (i < (int)(sizeof(edge) / sizeof(edge[0])))
            v = edge[i];
        else {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            v = x >> (x % 64);          /* every magnitude */
        }
        n = phpbpf_fmt_u64(got, v);
        got[n] = '\0';
        snprintf(want, sizeof(want), "%llu", (unsigned long long)v);
        bad_u64 += strcmp(got, want) != 0;
        if (v >= PHPBPF_FMT_MICRO_EXACT)
            v %= PHPBPF_FMT_MICRO_EXACT;
        n = phpbpf_fmt_micro(got, v);
        got[n] = '\0';
        snprintf(want, sizeof(want), "%.6f", (double)v / 1e6);
        if (strcmp(got, want) != 0 && bad_micro++ < 3)
            printf("# micro %llu: %s, printf %s\n", (unsigned long long)v, got, want);
    }
    ok(bad_u64 == 0, "u64 text is printf's %%llu (%d differ)", bad_u64);
    ok(bad_micro == 0, "micro text is printf's %%.6f of v / 1e6 below the exact limit (%d differ)",
       bad_micro);
}

static char out_seen[256];
static size_t out_seen_len;
static int out_flushes;

static void out_collect(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    if (out_seen_len + n < sizeof(out_seen)) {
        memcpy(out_seen + out_seen_len, p, n);
        out_seen_len += n;
    }
    out_flushes++;
}

static void test_out(void)
{
    char buf[8], *room;
    struct phpbpf_out o = { buf, 0, sizeof(buf), out_collect, NULL };

    phpbpf_out_str(&o, "abc");
    phpbpf_out_str(&o, "defghijklmnopqrstu");
    room = phpbpf_out_room(&o, 6);
    memcpy(room, "VWXYZ!", 6);
    o.len += 6;
    phpbpf_out_write(&o, "", 0);
    phpbpf_out_flush(&o);
    phpbpf_out_flush(&o);
    out_seen[out_seen_len] = '\0';
    ok(strcmp(out_seen, "abcdefghijklmnopqrstuVWXYZ!") == 0 && out_flushes == 4,
       "buffered output arrives whole and in order, a buffer at a time (%d flushes)", out_flushes);
}

/* APR's formatter knows no %ll: "%llx" came out as the text "%lx", which
 * made the state key and the helper's identity the same for every build
 * of the module (issue 11).  These check the text APR really produces. */
/* A PHP file's component (mod_phpbpf/component.c), by path alone. */
static void test_components(void)
{
    static const char *const cases[][2] = {
        { "/var/www/wp/wp-content/plugins/akismet/class.akismet.php", "plugin akismet" },
        { "/var/www/wp/wp-content/mu-plugins/cache/x.php", "plugin cache" },
        { "/srv/wp/wp-content/themes/twentytwentyfour/functions.php", "theme twentytwentyfour" },
        { "/usr/share/wordpress/wp-includes/class-wpdb.php", "WordPress core" },
        { "/usr/share/wordpress/wp-admin/admin-ajax.php", "WordPress core" },
        { "/usr/share/wordpress/wp-settings.php", "WordPress core" },
        { "/app/vendor/guzzlehttp/guzzle/src/Client.php", "guzzlehttp/guzzle" },
        { "/app/vendor/a/vendor/b/c/d.php", "b/c" },
        { "/app/vendor/composer/ClassLoader.php", "(application)" },
        { "/app/src/Kernel.php", "(application)" },
        { "/var/www/wp/wp-content/plugins/loose.php", "(application)" },
    };
    apr_pool_t *p;
    unsigned i, bad = 0;

    apr_initialize();
    apr_pool_create(&p, NULL);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got = phpbpf_component_of(p, cases[i][0], NULL);

        if (!got || strcmp(got, cases[i][1]) != 0) {
            printf("# %s: %s, not %s\n", cases[i][0], got ? got : "NULL", cases[i][1]);
            bad++;
        }
    }
    ok(!bad, "components: plugins, themes, WordPress core, Composer packages, the application");
    ok(!phpbpf_component_of(p, "", NULL) && !phpbpf_component_of(p, NULL, NULL),
       "an internal function (no file) has none");
    {
        /* PhpBpfComponent: tried first, in order; a * directory names each. */
        static const char *const rule[][2] = {
            { "/modules/contrib/*/", "module *" },
            { "/srv/app/packages/*/src/", "package" },
            { "/srv/app/src/Billing/", "billing" },
            { "/wp-content/plugins/akismet/", "antispam" },
        };
        static const char *const with[][2] = {
            { "/var/www/web/modules/contrib/views/src/ViewExecutable.php", "module views" },
            { "/var/www/web/modules/contrib/x.php", "(application)" },
            { "/srv/app/packages/cart/src/Cart.php", "package cart" },
            { "/srv/app/packages/cart/tests/CartTest.php", "(application)" },
            { "/srv/app/src/Billing/Invoice.php", "billing" },
            { "/var/www/wp/wp-content/plugins/akismet/a.php", "antispam" },
            { "/var/www/wp/wp-content/plugins/jetpack/a.php", "plugin jetpack" },
        };
        static const char *const bad_rule[][3] = {
            { "modules", "m", "with a /" },
            { "/a b/", "m", "without spaces" },
            { "/a/*/b/*/", "m", "at most one *" },
            { "/a*/", "m", "a whole directory" },
            { "/a/", "", "1 to 64 bytes" },
            { "/a/", "\x01", "printable" },
        };
        apr_array_header_t *rules = apr_array_make(p, 4, sizeof(struct phpbpf_component_rule));
        const char *err;

        for (i = 0; i < sizeof(rule) / sizeof(rule[0]); i++) {
            err = phpbpf_component_rule_parse(p, rule[i][0], rule[i][1],
                                              &APR_ARRAY_PUSH(rules, struct phpbpf_component_rule));
            ok(!err, "PhpBpfComponent %s \"%s\": accepted", rule[i][0], rule[i][1]);
        }
        for (i = 0; i < sizeof(with) / sizeof(with[0]); i++) {
            const char *got = phpbpf_component_of(p, with[i][0], rules);

            ok(got && strcmp(got, with[i][1]) == 0, "with rules, %s: %s (got %s)", with[i][0],
               with[i][1], got ? got : "NULL");
        }
        for (i = 0; i < sizeof(bad_rule) / sizeof(bad_rule[0]); i++) {
            struct phpbpf_component_rule r;

            err = phpbpf_component_rule_parse(p, bad_rule[i][0], bad_rule[i][1], &r);
            ok(err && strstr(err, bad_rule[i][2]), "PhpBpfComponent %s: refused, %s", bad_rule[i][0],
               err ? err : "(accepted)");
        }
    }
    apr_pool_destroy(p);
    apr_terminate();
}

/* PhpBpfPeer's parser, which configtest and the helper share, and the
 * unix socket path hash the BPF side computes the same way. */
static void test_peers(void)
{
    static const struct { const char *where, *cls, *err; uint32_t kind, port; } c[] = {
        { "10.0.0.5:3307", "mysql", NULL, PHPBPF_PEER_ADDR4, 3307 },
        { "*:6380", "redis", NULL, PHPBPF_PEER_PORT, 6380 },
        { "[::1]:5433", "pgsql", NULL, PHPBPF_PEER_ADDR6, 5433 },
        { "unix:/run/x.sock", "memcached", NULL, PHPBPF_PEER_UNIX, 0 },
        { "10.0.0.5:99999", "mysql", "the port is not a number from 1 to 65535", 0, 0 },
        { "10.0.0.5:0", "mysql", "the port is not a number from 1 to 65535", 0, 0 },
        { "10.0.0.5:-1", "mysql", "the port is not a number from 1 to 65535", 0, 0 },
        { "10.0.0.5: 80", "mysql", "the port is not a number from 1 to 65535", 0, 0 },
        { "10.0.0.5:3306", "sleep", "the class is not one of mysql", 0, 0 },
        { "10.0.0.5:3306", "MySQL", "the class is not one of mysql", 0, 0 },
        { "db.example.com:3306", "mysql", "names are not resolved", 0, 0 },
        { "::1:3306", "mysql", "an IPv6 one goes in brackets", 0, 0 },
        { "[::1]3306", "mysql", "an IPv6 peer is [address]:port", 0, 0 },
        { "[zz]:3306", "mysql", "not an IPv6 address", 0, 0 },
        { "3306", "mysql", "a peer is ADDRESS:PORT", 0, 0 },
        { "unix:relative.sock", "mysql", "unix:/absolute/path", 0, 0 },
    };
    char longpath[200];
    struct phpbpf_peer p;
    const char *err;
    unsigned i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        err = phpbpf_peer_parse(c[i].where, c[i].cls, &p);
        if (!c[i].err)
            ok(!err && p.kind == c[i].kind && p.port == c[i].port, "PhpBpfPeer %s %s: accepted",
               c[i].where, c[i].cls);
        else
            ok(err && strstr(err, c[i].err), "PhpBpfPeer %s %s: %s", c[i].where, c[i].cls,
               err ? err : "(accepted)");
    }
    err = phpbpf_peer_parse("10.0.0.5:3307", "mysql", &p);
    ok(!err && p.wait_class == PHPBPF_W_MYSQL && p.addr[0] == htonl(0x0a000005),
       "an IPv4 peer: its class, its address in network order");
    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "unix:/", 6);
    longpath[5 + 108] = '\0';
    ok(phpbpf_peer_parse(longpath, "mysql", &p) != NULL, "a socket path longer than sun_path is refused");
    longpath[5 + 107] = '\0';
    ok(phpbpf_peer_parse(longpath, "mysql", &p) == NULL, "107 bytes are accepted");
    ok(phpbpf_path_hash("", 0) == 0xcbf29ce484222325ULL && phpbpf_path_hash("a", 1) == 0xaf63dc4c8601ec8cULL,
       "the path hash is FNV-1a, 64 bits");
    ok(phpbpf_path_hash("/run/x.sock\0junk", 16) == phpbpf_path_hash("/run/x.sock", 11),
       "a path ends at its NUL, as sun_path does");
    ok(phpbpf_path_hash("\0abstract", 9) != phpbpf_path_hash("", 0),
       "an abstract name, which starts with a NUL, is hashed whole");
    for (i = 0; i < phpbpf_default_npeers; i++)
        if (phpbpf_default_peers[i].port == 3306 || !strcmp(phpbpf_default_peers[i].path, "/run/mysqld/mysqld.sock"))
            ok(phpbpf_default_peers[i].wait_class == PHPBPF_W_MYSQL, "default: %s%u is mysql",
               phpbpf_default_peers[i].path, phpbpf_default_peers[i].port);
}

int main(void)
{
    helper_tests();
    test_components();
    test_peers();
    test_formatting();
    test_out();
    test_utf8();
    test_php_error();
    test_buckets();
    test_metric_bounds();
    test_quantiles();
    test_snap_quantiles();
    test_snapshot();
    render_tests();
    stacks_tests();
    sockdir_tests();
    route_tests();
    sqlnorm_tests();
    fpm_tests();
    mysqlnd_tests();
    ftable_tests();
    buildid_tests();
    golden_tests();
    return done_testing();
}
