/* One full state, every format, byte for byte.
 *
 * A shared segment filled the way the children fill it (requests, the
 * recent ring, a slow request, PHP errors) and a snapshot with every
 * section the helper sends (vhosts with all their histograms and waits,
 * scripts, classes, a slow request with its backtrace, functions, stacks,
 * call sites, what the tables did not keep) go through the whole module
 * side: encoded, decoded, built into a report and rendered as the page,
 * ?auto, ?json, ?metrics (both formats) and ?profile.  The text must be
 * exactly t/unit/golden/report.txt.  A restructuring changes none of it; a
 * change meant to show something new updates that file in the same commit
 * (`make -f Makefile.apxs golden` rewrites it, and `git diff` shows what
 * an operator would see change). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"

#include "golden_tests.h"
#include "phperror.h"
#include "render.h"
#include "report_build.h"
#include "shm.h"
#include "snapshot.h"
#include "tap.h"

#define T0 1764662400000000ULL        /* 2025-12-02 08:00:00 UTC */

static char *text;
static size_t text_len, text_cap;

static void collect(void *ctx, const char *p, size_t n)
{
    (void)ctx;
    if (text_len + n + 1 > text_cap) {
        text_cap = (text_len + n + 1) * 2;
        text = realloc(text, text_cap);
    }
    memcpy(text + text_len, p, n);
    text_len += n;
    text[text_len] = '\0';
}

static void heading(const char *what)
{
    char line[128];

    snprintf(line, sizeof(line), "\n======== %s\n", what);
    collect(NULL, line, strlen(line));
}

static void *pool_alloc(void *ctx, size_t n)
{
    return apr_pcalloc(ctx, n);
}

/* uri: the path the client asked for; script: r->uri where an internal
 * redirect went elsewhere, or NULL. */
static void request(struct phpbpf_shared *sh, __u32 vhost, __u32 status, __u32 method,
                    const char *host, const char *uri, const char *args, __u64 at_s, __u64 us,
                    const char *script)
{
    static const char *const names[] = { "GET", "HEAD", "POST", "PROPFIND" };
    /* The blog's PHP runs in php-fpm pool 0, beside mod_php for the rest. */
    struct phpbpf_shm_request q = { T0 + at_s * 1000000, us, vhost, status, method,
                                    status >= 500, names[method], host, uri, args, script,
                                    strcmp(host, "blog.test") == 0 ? 2 : 1 };

    phpbpf_shm_count_request(sh, &q);
    phpbpf_shm_note_recent(sh, &q);
}

static void php_error(struct phpbpf_shared *sh, __u32 vhost, const char *line)
{
    struct phpbpf_php_error e;

    if (phpbpf_parse_php_error(line, &e) == 0)
        phpbpf_shm_count_error(sh, vhost, &e);
}

/* The children's side. */
static struct phpbpf_shared *segment(apr_pool_t *p, __u32 *shop, __u32 *blog, __u32 *evil)
{
    apr_size_t size = PHPBPF_SHM_SIZE(8);
    struct phpbpf_shared *sh = apr_pcalloc(p, size);
    struct phpbpf_shm_request slow = { T0 + 50 * 1000000, 2400000, 0, 200, PHPBPF_M_POST, 0,
                                       "POST", "shop.test", "/checkout/step2", "card=4111",
                                       "/checkout.php", 1 };
    int i;

    phpbpf_shm_init(sh, size, 8, T0);
    *shop = phpbpf_shm_vhost_index(sh, "shop.test:80");
    *blog = phpbpf_shm_vhost_index(sh, "blog.test:80");
    *evil = phpbpf_shm_vhost_index(sh, "<b>\"x'</b>&.test:80");
    sh->compile_tracing = sh->cpu_tracing = 1;
    sh->slow_us = 500000;
    sh->slow_size = 20;
    sh->generation = 2;
    sh->helper_pid = 4242;
    sh->helper_spawned_us = T0 + 1000000;
    sh->restarts = 1;
    apr_cpystrn(sh->library, "/usr/lib/apache2/modules/libphp8.2.so", sizeof(sh->library));
    sh->fpm_npools = 2;
    apr_cpystrn(sh->fpm_pool[0], "unix:/run/php/<b>php8.2-fpm.sock", sizeof(sh->fpm_pool[0]));
    apr_cpystrn(sh->fpm_state[0], "php-fpm /usr/sbin/php-fpm8.2, master pid 812",
                sizeof(sh->fpm_state[0]));
    apr_cpystrn(sh->fpm_pool[1], "10.0.0.7:9000", sizeof(sh->fpm_pool[1]));
    apr_cpystrn(sh->fpm_state[1], "no php-fpm master found: nothing listens there; Apache time only",
                sizeof(sh->fpm_state[1]));
    for (i = 0; i < 40; i++)
        request(sh, *shop, i % 10 == 9 ? 500 : 200, i % 4 == 3 ? PHPBPF_M_POST : PHPBPF_M_GET,
                "shop.test", "/index.php", i % 3 ? NULL : "q=secret", 10 + i, 1000 + 997 * i, NULL);
    for (i = 0; i < 7; i++)
        request(sh, *blog, i == 6 ? 404 : 200, i == 5 ? 3 : PHPBPF_M_GET, "blog.test",
                "/wp-admin/</script><script>alert(1)</script>", NULL, 60 + i, 25000 + 100 * i, NULL);
    request(sh, *evil, 302, PHPBPF_M_HEAD, "<b>\"x'</b>&.test", "/a\"b<c>", "x=<y>", 70, 80,
            "/a\"b<c>");
    request(sh, PHPBPF_VHOST_OTHER, 200, PHPBPF_M_GET, "other.test", "/", NULL, 71, 300, NULL);
    /* A front controller: the client's URL, and the script beside it. */
    request(sh, *shop, 200, PHPBPF_M_GET, "shop.test", "/product/7", "color=red", 72, 5000,
            "/index.php");
    request(sh, *shop, 200, PHPBPF_M_GET, "shop.test", "/blog/<img src=x>/\"q\"", NULL, 73, 4000,
            "/index.php");
    slow.vhost = *shop;
    phpbpf_shm_note_slow(sh, &slow, 3001, 77, 1);
    php_error(sh, *shop, "PHP Warning:  Undefined variable $x in /var/www/shop/cart.php on line 12");
    php_error(sh, *shop, "PHP Warning:  Undefined variable $x in /var/www/shop/cart.php on line 12");
    php_error(sh, *shop, "PHP Fatal error:  Uncaught RuntimeException: <boom> & \"quote\" in "
                         "/var/www/shop/pay.php:40");
    php_error(sh, *blog, "PHP Notice:  tab\there in /var/www/blog/index.php on line 3");
    return sh;
}

static void hist_of(struct phpbpf_sparse *s, apr_pool_t *p, const __u64 *us, int n)
{
    struct phpbpf_hist *h = apr_pcalloc(p, sizeof(*h));
    int i;

    for (i = 0; i < n; i++)
        phpbpf_hist_record(h, us[i]);
    phpbpf_sparse_from(s, h, apr_pcalloc(p, PHPBPF_HIST_BUCKETS * sizeof(struct phpbpf_sparse_bucket)));
}

/* The helper's side. */
static struct phpbpf_snapshot *snapshot(apr_pool_t *p, __u32 shop, __u32 blog, __u32 evil)
{
    static const __u64 shop_php[] = { 900, 1500, 2100, 2900, 4000, 4800, 9000, 15000, 2300000 };
    static const __u64 blog_php[] = { 24000, 24100, 24500, 25000, 26000, 31000 };
    static const __u64 on[] = { 700, 1200, 1800, 2500 }, off[] = { 100, 300, 1900000 };
    static const __u64 comp[] = { 150, 420, 900 };
    struct phpbpf_snapshot *s = apr_pcalloc(p, sizeof(*s));
    struct phpbpf_snap_vhost *v = apr_pcalloc(p, 4 * sizeof(*v));
    struct phpbpf_snap_script *sc = apr_pcalloc(p, 2 * sizeof(*sc));
    struct phpbpf_snap_class *cl = apr_pcalloc(p, 3 * sizeof(*cl));
    struct phpbpf_slow_event *sl = apr_pcalloc(p, sizeof(*sl));
    struct phpbpf_snap_backtrace *bt = apr_pcalloc(p, sizeof(*bt));
    struct phpbpf_func *fn = apr_pcalloc(p, 6 * sizeof(*fn));
    struct phpbpf_pframe *fr = apr_pcalloc(p, 12 * sizeof(*fr));
    struct phpbpf_snap_stack *st = apr_pcalloc(p, 3 * sizeof(*st));
    struct phpbpf_snap_profile *pr = apr_pcalloc(p, 2 * sizeof(*pr));
    struct phpbpf_snap_site *si = apr_pcalloc(p, 3 * sizeof(*si));
    struct phpbpf_snap_route *ro = apr_pcalloc(p, 5 * sizeof(*ro));
    unsigned i;

    s->state = PHPBPF_STATE_ACTIVE;
    s->helper_pid = 4242;
    s->started_us = T0 + 1000000;
    s->php_since_us = T0 + 1000000;
    s->now_us = T0 + 90 * 1000000;
    s->generation = 2;
    s->probes = PHPBPF_PROBE_REQUEST_STARTUP | PHPBPF_PROBE_REQUEST_SHUTDOWN
                | PHPBPF_PROBE_COMPILE_ENTRY | PHPBPF_PROBE_COMPILE_RETURN
                | PHPBPF_PROBE_SCHED_SWITCH | PHPBPF_PROBE_EXC_THROWN | PHPBPF_PROBE_PROFILE
                | PHPBPF_PROBE_BACKTRACE;
    for (i = 0; i < PHPBPF_NCOUNTERS; i++)
        s->counters[i] = 3 * i + 1;
    s->counters[PHPBPF_CTR(startups)] = 48;
    s->counters[PHPBPF_CTR(shutdowns)] = 47;
    s->counters[PHPBPF_CTR(hits)] = 96;
    strcpy(s->library, "/usr/lib/apache2/modules/libphp8.2.so");
    s->window_s = 600;
    s->window_since_us = T0 + 1000000;
    s->profile_hz = 99;
    s->stacks_state = PHPBPF_STACKS_ACTIVE;
    strcpy(s->untraced, "compile tracing: <none> & \"quoted\"");

    v[0].idx = shop;
    hist_of(&v[0].php, p, shop_php, 9);
    hist_of(&v[0].cpu.on, p, on, 4);
    hist_of(&v[0].cpu.off, p, off, 3);
    hist_of(&v[0].compile, p, comp, 3);
    v[0].v = (struct phpbpf_vstats){ 3, 1470, 5, 812, 2, 9, 4, 2820000, 1, 0, 0, 0 };
    v[0].has_waits = 1;
    v[0].waits.ns[PHPBPF_W_MYSQL] = 1200000000;
    v[0].waits.count[PHPBPF_W_MYSQL] = 310;
    v[0].waits.ns[PHPBPF_W_SLEEP] = 1900000000;
    v[0].waits.count[PHPBPF_W_SLEEP] = 1;
    v[0].waits.ns[PHPBPF_W_RUNQUEUE] = 4000000;
    v[0].waits.count[PHPBPF_W_RUNQUEUE] = 12;
    v[0].classes_lost = 4;
    v[0].scripts_lost = 1;
    v[1].idx = blog;
    hist_of(&v[1].php, p, blog_php, 6);
    v[1].v.exc_thrown = 1;
    v[2].idx = evil;
    hist_of(&v[2].php, p, (const __u64[]){ 70 }, 1);
    v[3].idx = PHPBPF_VHOST_OTHER;
    hist_of(&v[3].php, p, (const __u64[]){ 250 }, 1);
    s->vhosts = v;
    s->nvhosts = 4;

    s->scripts_tracked = 3;
    s->scripts_evicted = 1;
    sc[0].vhost = shop;
    strcpy(sc[0].path, "/var/www/shop/index.php");
    hist_of(&sc[0].compile, p, comp, 2);
    sc[1].vhost = evil;
    strcpy(sc[1].path, "/var/www/<script>alert(\"x\")</script>.php");
    hist_of(&sc[1].compile, p, (const __u64[]){ 900 }, 1);
    s->scripts = sc;
    s->nscripts = 2;

    cl[0] = (struct phpbpf_snap_class){ shop, "PDOException", 3 };
    cl[1] = (struct phpbpf_snap_class){ shop, "App\\Payment\\<Declined>", 2 };
    cl[2] = (struct phpbpf_snap_class){ blog, "RuntimeException", 1 };
    s->classes = cl;
    s->nclasses = 3;

    fn[0] = (struct phpbpf_func){ PHPBPF_FK_MAIN, 0, 0, "", "", "/var/www/shop/index.php" };
    fn[1] = (struct phpbpf_func){ PHPBPF_FK_USER, 0, 10, "run", "App\\Kernel",
                                       "/var/www/shop/src/Kernel.php" };
    fn[2] = (struct phpbpf_func){ PHPBPF_FK_USER, 1, 30, "crunch", "Hot",
                                       "/var/www/shop/src/Hot.php" };
    fn[3] = (struct phpbpf_func){ PHPBPF_FK_INTERNAL, 0, 0, "usleep", "", "" };
    fn[4] = (struct phpbpf_func){ PHPBPF_FK_USER, 0, 5, "{closure}", "",
                                       "/var/www/shop/<odd>&\"file\".php" };
    fn[5] = (struct phpbpf_func){ PHPBPF_FK_INTERNAL, 0, 0, "PDOStatement::execute", "", "" };
    s->funcs = fn;
    s->nfuncs = 6;
    /* innermost first */
    fr[0] = (struct phpbpf_pframe){ 2, 33 };
    fr[1] = (struct phpbpf_pframe){ 1, 14 };
    fr[2] = (struct phpbpf_pframe){ 0, 5 };
    fr[3] = (struct phpbpf_pframe){ 3, 0 };
    fr[4] = (struct phpbpf_pframe){ 4, 7 };
    fr[5] = (struct phpbpf_pframe){ 1, 16 };
    fr[6] = (struct phpbpf_pframe){ 0, 5 };
    fr[7] = (struct phpbpf_pframe){ 5, 0 };
    fr[8] = (struct phpbpf_pframe){ 1, 20 };
    fr[9] = (struct phpbpf_pframe){ 0, 6 };
    st[0] = (struct phpbpf_snap_stack){ 700, 3, &fr[0] };
    st[1] = (struct phpbpf_snap_stack){ 90, 4, &fr[3] };
    st[2] = (struct phpbpf_snap_stack){ 20, 3, &fr[7] };
    pr[0] = (struct phpbpf_snap_profile){ shop, 812, 2, 3, st };
    s->profiles = pr;
    s->nprofiles = 1;

    si[0] = (struct phpbpf_snap_site){ shop, PHPBPF_W_SLEEP, { 4, 7 }, 1, 1900000000 };
    si[1] = (struct phpbpf_snap_site){ shop, PHPBPF_W_MYSQL, { 1, 20 }, 310, 1200000000 };
    s->sites = si;
    s->nsites = 2;

    sl->seq = 77;
    sl->pid = sl->ns_pid = 3001;
    sl->vhost = shop;
    sl->php_us = 2300000;
    sl->compile_us = 420;
    sl->on_us = 390000;
    sl->off_us = 1910000;
    sl->exc_thrown = 1;
    sl->wait_us[PHPBPF_W_SLEEP] = 1900000;
    sl->waits[PHPBPF_W_SLEEP] = 1;
    sl->wait_us[PHPBPF_W_MYSQL] = 10000;
    sl->waits[PHPBPF_W_MYSQL] = 4;
    strcpy(sl->method, "POST");
    strcpy(sl->uri, "/checkout.php");
    strcpy(sl->script, "/var/www/shop/checkout.php");
    strcpy(sl->route, "/checkout.php");
    bt->taken = 1;
    bt->truncated = 1;
    bt->elapsed_us = 600000;
    bt->nframes = 4;
    bt->frame = &fr[3];
    s->slow = sl;
    s->backtraces = bt;
    s->nslow = 1;

    /* Routes: by vhost, most PHP time first, as the helper sends them;
     * (other) anywhere among its vhost's (the report puts it last). */
    s->max_routes = 20;
    ro[0].vhost = shop;
    strcpy(ro[0].text, "/checkout.php");
    ro[0].ordinal = 1;
    hist_of(&ro[0].php, p, shop_php, 5);
    hist_of(&ro[0].apache, p, shop_php, 5);
    ro[0].status[1] = 4;
    ro[0].status[4] = 1;
    ro[0].exc_thrown = 2;
    ro[0].errors = 1;
    ro[0].on_us = 400000;
    ro[0].off_us = 1950000;
    ro[0].wait_us[PHPBPF_W_SLEEP] = 1900000;
    ro[0].wait_us[PHPBPF_W_MYSQL] = 40000;
    ro[1].vhost = shop;
    strcpy(ro[1].text, PHPBPF_ROUTE_OTHER);
    ro[1].ordinal = PHPBPF_ROUTE_ORDINAL_OTHER;
    hist_of(&ro[1].php, p, (const __u64[]){ 300 }, 1);
    hist_of(&ro[1].apache, p, (const __u64[]){ 320 }, 1);
    ro[1].status[1] = 1;
    ro[2].vhost = shop;
    strcpy(ro[2].text, "/product/{id}");
    hist_of(&ro[2].php, p, shop_php + 5, 3);
    hist_of(&ro[2].apache, p, shop_php + 5, 3);
    ro[2].status[1] = 3;
    ro[3].vhost = evil;
    strcpy(ro[3].text, "/<script>\"x\"</script>/\xff\xfe/[a]/{id}");
    hist_of(&ro[3].php, p, (const __u64[]){ 70 }, 1);
    hist_of(&ro[3].apache, p, (const __u64[]){ 75 }, 1);
    ro[3].status[1] = 1;
    s->routes = ro;
    s->nroutes = 4;
    /* Statements: one with a caller and its slowest run's stack, one
     * whose text is hostile (markup, quotes, invalid UTF-8) and cut. */
    {
        struct phpbpf_snap_stmt *x = apr_pcalloc(p, 2 * sizeof(*x));
        struct phpbpf_snap_stmt_lost *lost = apr_pcalloc(p, sizeof(*lost));

        s->queries_state = PHPBPF_QUERIES_ACTIVE;
        x[0].vhost = shop;
        strcpy(x[0].text, "SELECT * FROM wp_posts WHERE ID = ?");
        strcpy(x[0].server, "unix:///run/mysqld/mysqld.sock");
        hist_of(&x[0].time, p, (const __u64[]){ 150, 180, 2400 }, 3);
        x[0].ns = 2730000;
        x[0].caller = (struct phpbpf_pframe){ 1, 20 };
        x[0].slowest_ns = 2400000;
        x[0].nframes = 3;
        x[0].frame = &fr[7];
        x[1].vhost = shop;
        x[1].flags = PHPBPF_STMT_TRUNCATED;
        strcpy(x[1].text, "SELECT `<script>\"x\"</script>` FROM t WHERE a = ? AND \xff\xfe");
        strcpy(x[1].server, "tcp://127.0.0.1:3306");
        hist_of(&x[1].time, p, (const __u64[]){ 90 }, 1);
        x[1].ns = 90000;
        x[1].errors = 1;
        s->stmts = x;
        s->nstmts = 2;
        lost[0] = (struct phpbpf_snap_stmt_lost){ shop, 3 };
        s->stmts_lost = lost;
        s->nstmts_lost = 1;
    }
    /* The slow request's: an N+1 and a hostile one. */
    {
        struct phpbpf_snap_slow_stmts *q = apr_pcalloc(p, sizeof(*q));
        struct phpbpf_snap_req_stmt *x = apr_pcalloc(p, 2 * sizeof(*x));

        strcpy(x[0].text, "SELECT meta_key, meta_value FROM wp_postmeta WHERE post_id = ?");
        x[0].count = 38;
        x[0].ns = 19000000;
        x[0].caller = (struct phpbpf_pframe){ 1, 20 };
        strcpy(x[1].text, "UPDATE `</pre><script>` SET a = ? \xff");
        x[1].count = 1;
        x[1].flags = PHPBPF_STMT_TRUNCATED;
        x[1].ns = 400000;
        *q = (struct phpbpf_snap_slow_stmts){ 1, 39, 19400000, 2, x };
        s->slow_stmts = q;
    }
    return s;
}

/* Through the wire, as a child gets it. */
static struct phpbpf_snapshot *over_the_wire(apr_pool_t *p, const struct phpbpf_snapshot *s,
                                             uint32_t max_vhosts)
{
    struct phpbpf_snapshot *d = apr_pcalloc(p, sizeof(*d));
    struct phpbpf_buf b = { 0 };
    const char *err = NULL;
    int bad;

    bad = phpbpf_snapshot_encode(&b, s) != 0
          || phpbpf_snapshot_decode(b.data + PHPBPF_RSP_HDR_LEN, b.len - PHPBPF_RSP_HDR_LEN, d,
                                    max_vhosts, pool_alloc, p, &err) != 0;
    phpbpf_buf_free(&b);
    ok(!bad, "golden: the snapshot encodes and decodes (%s)", err ? err : "ok");
    return bad ? NULL : d;
}

static void render_all(apr_pool_t *p)
{
    __u32 shop, blog, evil;
    struct phpbpf_shared *sh = segment(p, &shop, &blog, &evil);
    struct phpbpf_snapshot *snap = over_the_wire(p, snapshot(p, shop, blog, evil), sh->nvhosts);
    struct phpbpf_shm_copy copy;
    struct phpbpf_report *r, *rm;
    char buf[200];
    struct phpbpf_out o = { buf, 0, sizeof(buf), collect, NULL };
    uint64_t now = T0 + 90 * 1000000 + 500;
    uint32_t i;

    if (!snap)
        return;
    phpbpf_shm_copy(&copy, sh, p);
    r = phpbpf_report_build(p, &copy, snap, NULL, now, 1, NULL);
    rm = phpbpf_report_build(p, &copy, snap, NULL, now, 0, NULL);
    r->queries_configured = rm->queries_configured = 1;
    r->server_name = rm->server_name = "www.example.test";
    r->server_version = rm->server_version = "Apache/2.4 (Debian)";
    heading("page (text/html)");
    phpbpf_render_html(r, &o, p);
    heading("?auto");
    phpbpf_render_auto(r, &o, p);
    heading("?json");
    phpbpf_render_json(r, &o, p);
    /* One route labelled: shop.test's first (/product/{id}), its
     * /checkout.php in (other) with the table's (other). */
    rm->metrics_routes = 1;
    heading("?metrics");
    phpbpf_render_metrics(rm, &o, p, 0);
    heading("?metrics (OpenMetrics)");
    phpbpf_render_metrics(rm, &o, p, 1);
    rm->metrics_fine = 1;
    heading("?metrics (PhpBpfMetricsFineBuckets On)");
    phpbpf_render_metrics(rm, &o, p, 0);
    heading("?profile");
    phpbpf_render_folded(r, &o, p, -1);
    heading("?profile=shop.test:80");
    for (i = 0; i < r->nvhosts; i++)
        if (strcmp(r->vhost[i].name, "shop.test:80") == 0)
            phpbpf_render_folded(r, &o, p, (int)i);
    phpbpf_out_flush(&o);
    /* And the banner when the helper is not there. */
    r = phpbpf_report_build(p, &copy, NULL, "the helper is restarting <after a crash>", now, 1, NULL);
    r->server_name = "www.example.test";
    r->server_version = "Apache/2.4 (Debian)";
    heading("?auto, no helper");
    phpbpf_render_auto(r, &o, p);
    heading("?metrics, no helper");
    phpbpf_render_metrics(r, &o, p, 0);
    phpbpf_out_flush(&o);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *s;
    long n;

    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    s = malloc((size_t)n + 1);
    *len = fread(s, 1, (size_t)n, f);
    s[*len] = '\0';
    fclose(f);
    return s;
}

void golden_tests(void)
{
    const char *dir = getenv("PHPBPF_GOLDEN") ? getenv("PHPBPF_GOLDEN") : "t/unit/golden";
    char path[1024], *want;
    size_t want_len = 0, at;
    apr_pool_t *p;

    /* The page shows local times. */
    setenv("TZ", "UTC", 1);
    tzset();
    apr_initialize();
    apr_pool_create(&p, NULL);
    text_len = 0;
    collect(NULL, "", 0);
    render_all(p);
    snprintf(path, sizeof(path), "%s/report.txt", dir);
    if (getenv("PHPBPF_GOLDEN_WRITE")) {
        FILE *f = fopen(path, "wb");

        ok(f && fwrite(text, 1, text_len, f) == text_len && fclose(f) == 0,
           "golden: %s written (%zu bytes)", path, text_len);
        apr_pool_destroy(p);
        apr_terminate();
        return;
    }
    want = slurp(path, &want_len);
    for (at = 0; want && at < want_len && at < text_len && want[at] == text[at]; at++)
        ;
    ok(want && want_len == text_len && at == text_len,
       "golden: every format gives exactly %s (%zu bytes)%s", path, text_len,
       !want ? ": cannot read it" : at == text_len && want_len == text_len ? "" : ": differs");
    if (!want || at != text_len || want_len != text_len) {
        FILE *f = fopen("/tmp/phpbpf-golden-report.txt", "wb");

        if (f) {
            fwrite(text, 1, text_len, f);
            fclose(f);
        }
        printf("# first difference at byte %zu; this build's text is in "
               "/tmp/phpbpf-golden-report.txt: diff it with %s\n", at, path);
    }
    free(want);
    apr_pool_destroy(p);
    apr_terminate();
}
