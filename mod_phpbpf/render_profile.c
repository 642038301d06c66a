/* PHP stacks, as the page draws them ("Where PHP spends its time": the top
 * functions and a flame graph per vhost) and as ?profile exports them (the
 * folded text of flamegraph.pl, speedscope, Pyroscope and Grafana).
 *
 * The flame graph is HTML and CSS, with a few lines of inline script to
 * zoom: no file, CDN or library to fetch, so it works on an offline server
 * and inside Require local. */
#include <stdlib.h>

#include "apr_escape.h"
#include "apr_hash.h"
#include "apr_time.h"
#include "apr_strings.h"

#include "escape.h"
#include "render.h"
#include "render_profile.h"

/* Flame graphs drawn, the vhosts with the most samples first: each is a
 * node per distinct call path, and a thousand vhosts would make the page
 * unreadable.  The others have their top functions and ?profile. */
#define FLAME_VHOSTS 10
/* Paths with fewer samples than this share of the vhost's are left out
 * of its graph (they could not be seen, and would only make it longer). */
#define FLAME_MIN_SHARE 0.002

const char *phpbpf_fmt_time(apr_pool_t *p, uint64_t us, const char *fmt)
{
    apr_time_exp_t xt;
    apr_size_t n;
    char *buf = apr_palloc(p, 64);

    apr_time_exp_lt(&xt, (apr_time_t)us);
    apr_strftime(buf, &n, 64, fmt, &xt);
    buf[n] = '\0';
    return buf;
}

const char *phpbpf_fmt_age(apr_pool_t *p, apr_uint64_t s)
{
    if (s >= 86400)
        return apr_psprintf(p, PHPBPF_U64 "d " PHPBPF_U64 "h", s / 86400, s % 86400 / 3600);
    if (s >= 3600)
        return apr_psprintf(p, PHPBPF_U64 "h " PHPBPF_U64 "m", s / 3600, s % 3600 / 60);
    if (s >= 60)
        return apr_psprintf(p, PHPBPF_U64 "m " PHPBPF_U64 "s", s / 60, s % 60);
    return apr_psprintf(p, PHPBPF_U64 "s", s);
}

const char *phpbpf_window_text(apr_pool_t *p, const struct phpbpf_report *r)
{
    uint64_t age = r->now_us > r->window_since_us ? (r->now_us - r->window_since_us) / 1000000 : 0;

    return apr_psprintf(p, "the last %s (since %s)", phpbpf_fmt_age(p, age),
                        phpbpf_fmt_time(p, r->window_since_us, "%H:%M:%S"));
}

/* ------------------------------------------------------------ folded */

/* A frame name in the folded text, where ';' separates frames and the
 * last space the count: those, white space, backslashes and bytes
 * outside printable ASCII are written \xNN. */
static void folded_name(struct phpbpf_out *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";

    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;

        if (c <= ' ' || c >= 0x7f || c == ';' || c == '\\') {
            char e[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };

            phpbpf_out_write(o, e, 4);
        }
        else
            phpbpf_out_putc(o, (char)c);
    }
}

static void folded_vhost(struct phpbpf_out *o, const struct phpbpf_report_vhost *v, int root)
{
    const struct phpbpf_report_profile *pr = v->profile;
    unsigned i, k;

    for (i = 0; pr && i < pr->nfolded; i++) {
        const struct phpbpf_report_folded *f = &pr->folded[i];

        if (root) {
            folded_name(o, v->name);
            if (f->nframes)
                phpbpf_out_putc(o, ';');
        }
        for (k = 0; k < f->nframes; k++) {
            if (k)
                phpbpf_out_putc(o, ';');
            folded_name(o, f->frame[k]);
        }
        phpbpf_out_putc(o, ' ');
        phpbpf_out_u64(o, f->count);
        phpbpf_out_putc(o, '\n');
    }
}

void phpbpf_render_folded(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p,
                          int vhost)
{
    unsigned k;

    (void)p;
    if (vhost >= 0 && (uint32_t)vhost < r->nvhosts)
        folded_vhost(o, &r->vhost[vhost], 0);
    else
        for (k = 0; k < r->nshown; k++)
            folded_vhost(o, &r->vhost[r->shown[k]], 1);
    phpbpf_out_flush(o);
}

/* ------------------------------------------------------ flame graph */

/* The graph is drawn straight from the folded stacks, which the report
 * sorts by frames, root first, with equal names one pointer: the stacks
 * under a node are a run of them, and its children the sub-runs that share
 * the next frame.  Nothing is built: a node too small to draw is skipped
 * whole, so a full stack table (16,384 stacks, half a million distinct
 * prefixes) costs a scan of the runs that are drawn, not a tree of them. */
struct flame {
    struct phpbpf_out *o;
    apr_pool_t *p;
    const struct phpbpf_report_folded *f;
    const uint64_t *upto;         /* upto[i]: the samples of stacks 0 .. i-1 */
    uint64_t all;
    apr_hash_t *internal;
};

static unsigned fnv(const char *s)
{
    unsigned h = 2166136261u;

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A component's hue: anything but PHP's own blue. */
static unsigned hue(const char *component)
{
    unsigned h = fnv(component) % 300;

    return h < 170 ? h : h + 60;
}

/* A frame's colour: its component's hue (the legend is the table "Time by
 * component"), lighter or darker by its name, so that one function looks
 * the same wherever it is and a plugin's frames stand out together; PHP's
 * own functions in blue, as perf's flame graphs draw the kernel. */
static const char *colour(apr_pool_t *p, const char *name, const char *component, int internal)
{
    unsigned h = fnv(name);

    if (internal || !component)
        return apr_psprintf(p, "hsl(210,60%%,%u%%)", 65 + h % 15);
    return apr_psprintf(p, "hsl(%u,75%%,%u%%)", hue(component), 55 + h % 20);
}

/* The node `name` at depth d, for the stacks lo .. hi-1, which all have
 * it as their frame d-1 (the root "all" at depth 0). */
static void node(const struct flame *g, const char *name, uint32_t lo, uint32_t hi, uint32_t d,
                 uint64_t parent)
{
    uint64_t value = g->upto[hi] - g->upto[lo];
    double w = 100.0 * (double)value / (double)parent;
    const char *esc = phpbpf_esc_req(g->p, name);
    int internal = d && apr_hash_get(g->internal, name, APR_HASH_KEY_STRING) != NULL;
    const char *component = d && g->f[lo].component ? g->f[lo].component[d - 1] : NULL;
    uint32_t i = lo, j;

    phpbpf_out_printf(g->o, "<div class=fgn data-w=\"%.3f%%\" style=\"width:%.3f%%\">"
                      "<span style=\"background:%s\" title=\"%s: %" APR_UINT64_T_FMT
                      " samples, %.1f%%\">%s</span>", w, w,
                      d ? colour(g->p, name, component, internal) : "#ddd", esc,
                      (apr_uint64_t)value, 100.0 * (double)value / (double)g->all, esc);
    /* Stacks that end here sort first among those sharing the prefix. */
    while (i < hi && g->f[i].nframes <= d)
        i++;
    if (i < hi) {               /* a stack is at most 64 frames deep */
        phpbpf_out_str(g->o, "<div class=fgc>");
        for (; i < hi; i = j) {
            for (j = i + 1; j < hi && g->f[j].frame[d] == g->f[i].frame[d]; j++)
                ;
            if ((double)(g->upto[j] - g->upto[i]) >= FLAME_MIN_SHARE * (double)g->all)
                node(g, g->f[i].frame[d], i, j, d + 1, value);
        }
        phpbpf_out_str(g->o, "</div>");
    }
    phpbpf_out_str(g->o, "</div>\n");
}

static void flame(struct phpbpf_out *o, apr_pool_t *p, const struct phpbpf_report_profile *pr)
{
    uint64_t *upto = apr_palloc(p, (pr->nfolded + 1) * sizeof(*upto));
    struct flame g = { o, p, pr->folded, upto, 0, apr_hash_make(p) };
    unsigned i;

    if (!pr->nfolded)
        return;
    for (upto[0] = 0, i = 0; i < pr->nfolded; i++)
        upto[i + 1] = upto[i] + pr->folded[i].count;
    g.all = upto[pr->nfolded];
    /* Internal functions by name, from the list of those with samples. */
    for (i = 0; i < pr->nfuncs; i++)
        if (pr->by_total[i].f.internal)
            apr_hash_set(g.internal, pr->by_total[i].f.function, APR_HASH_KEY_STRING, "");
    phpbpf_out_str(o, "<div class=fg>\n");
    node(&g, "all", 0, pr->nfolded, 0, g.all);
    phpbpf_out_str(o, "</div>\n");
}

static void where(struct phpbpf_out *o, apr_pool_t *p, const struct phpbpf_report_frame *f)
{
    if (f->internal)
        phpbpf_out_str(o, "(internal)");
    else
        phpbpf_out_printf(o, "%s:%u", phpbpf_esc_req(p, f->file), f->line);
}

static void top(struct phpbpf_out *o, apr_pool_t *p, const char *title,
                const struct phpbpf_report_func *f, unsigned n, uint64_t samples)
{
    unsigned i;

    phpbpf_out_printf(o, "<table class=prof>\n<tr><th class=l colspan=2>%s</th><th>Self</th>"
                      "<th>Total</th></tr>\n", title);
    for (i = 0; i < n && i < 10; i++) {
        phpbpf_out_printf(o, "<tr><td class=l>%s</td><td class=l>", phpbpf_esc_req(p, f[i].f.function));
        where(o, p, &f[i].f);
        phpbpf_out_printf(o, "</td><td>%.1f%%</td><td>%.1f%%</td></tr>\n",
                          100.0 * (double)f[i].self / (double)samples,
                          100.0 * (double)f[i].total / (double)samples);
    }
    phpbpf_out_str(o, "</table>\n");
}

static void components(struct phpbpf_out *o, apr_pool_t *p, const struct phpbpf_report_profile *pr)
{
    unsigned i;

    if (!pr->ncomponents)
        return;
    phpbpf_out_str(o, "<table class=prof>\n<tr><th class=l>Time by component</th><th>Self</th>"
                      "<th>Total</th></tr>\n");
    /* The flame graph's legend: each component's colour. */
    for (i = 0; i < pr->ncomponents && i < 10; i++)
        phpbpf_out_printf(o, "<tr><td class=l><span class=sw style=\"background:hsl(%u,75%%,60%%)\">"
                          "</span>%s</td><td>%.1f%%</td><td>%.1f%%</td></tr>\n",
                          hue(pr->components[i].name), phpbpf_esc_req(p, pr->components[i].name),
                          100.0 * (double)pr->components[i].self / (double)pr->samples,
                          100.0 * (double)pr->components[i].total / (double)pr->samples);
    phpbpf_out_str(o, "</table>\n");
}

static const char script[] =
    "<script>\n"
    "/* Click a frame to zoom into it, the root (all) to zoom out. */\n"
    "document.querySelectorAll('.fg span').forEach(function (s) {\n"
    "  s.onclick = function () {\n"
    "    var n = s.parentNode, fg = n.closest('.fg');\n"
    "    fg.querySelectorAll('.fgn').forEach(function (x) {\n"
    "      x.style.display = ''; x.style.width = x.dataset.w; });\n"
    "    for (var a = n; a && a !== fg; a = a.parentNode) {\n"
    "      if (!a.classList.contains('fgn')) continue;\n"
    "      a.style.width = '100%';\n"
    "      Array.prototype.forEach.call(a.parentNode.children, function (b) {\n"
    "        if (b !== a) b.style.display = 'none'; });\n"
    "    }\n"
    "  };\n"
    "});\n"
    "</script>\n";

static int by_samples(const void *a, const void *b)
{
    const struct phpbpf_report_vhost *x = *(const struct phpbpf_report_vhost *const *)a;
    const struct phpbpf_report_vhost *y = *(const struct phpbpf_report_vhost *const *)b;

    return x->profile->samples < y->profile->samples ? 1
         : x->profile->samples > y->profile->samples ? -1 : strcmp(x->name, y->name);
}

void phpbpf_render_html_profile(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p)
{
    const struct phpbpf_report_vhost **v = apr_palloc(p, (r->nshown + 1) * sizeof(*v));
    unsigned i, n = 0;

    if (!r->helper || (r->stacks_state == 0 && !r->stacks_reason))
        return;
    phpbpf_out_str(o, "<h2>Where PHP spends its time</h2>\n");
    if (r->stacks_reason) {
        phpbpf_out_printf(o, "<p class=\"banner bad\">PHP stacks unavailable: %s. Everything else "
                          "is traced.</p>\n", phpbpf_esc_req(p, r->stacks_reason));
        return;
    }
    if (!r->profile_hz) {
        phpbpf_out_str(o, "<p>Stack sampling is off (PhpBpfProfile Off); slow requests still get "
                          "their backtraces.</p>\n");
        return;
    }
    phpbpf_out_printf(o, "<p>PHP stacks sampled %u times a second on each CPU while PHP ran "
                      "(on-CPU time; what a request waits on shows in the slow log's "
                      "backtraces): " PHPBPF_U64 " samples in all, " PHPBPF_U64 " lost (ring "
                      "buffer full), " PHPBPF_U64 " unreadable.  The functions and flame graphs "
                      "below are of %s: a table of %u stacks, shared fairly among vhosts, keeps "
                      "the last half to whole of PhpBpfWindow (%s); " PHPBPF_U64 " samples of "
                      "that time it had to let go for others' are counted per vhost.  Folded "
                      "stacks: <a href=\"?profile\">?profile</a>.</p>\n",
                      r->profile_hz, (apr_uint64_t)r->samples, (apr_uint64_t)r->samples_lost,
                      (apr_uint64_t)r->samples_unreadable, phpbpf_window_text(p, r),
                      PHPBPF_REPORT_STACKS, phpbpf_fmt_age(p, r->window_s),
                      (apr_uint64_t)r->samples_dropped);
    for (i = 0; i < r->nshown; i++)
        if (r->vhost[r->shown[i]].profile && r->vhost[r->shown[i]].profile->samples)
            v[n++] = &r->vhost[r->shown[i]];
    if (!n) {
        phpbpf_out_str(o, "<p>No samples yet.</p>\n");
        return;
    }
    qsort(v, n, sizeof(*v), by_samples);
    for (i = 0; i < n; i++) {
        const struct phpbpf_report_profile *pr = v[i]->profile;
        const char *name = phpbpf_esc_html(p, v[i]->name);

        phpbpf_out_printf(o, "<h3>%s: " PHPBPF_U64 " samples%s</h3>\n<div class=hists>\n", name,
                          (apr_uint64_t)pr->samples,
                          pr->dropped ? apr_psprintf(p, " (" PHPBPF_U64 " more not kept)",
                                                     (apr_uint64_t)pr->dropped) : "");
        components(o, p, pr);
        top(o, p, "Top functions by self", pr->by_self, pr->nfuncs, pr->samples);
        top(o, p, "Top functions by total", pr->by_total, pr->nfuncs, pr->samples);
        phpbpf_out_str(o, "</div>\n");
        if (i < FLAME_VHOSTS)
            flame(o, p, pr);
        else if (i == FLAME_VHOSTS)
            phpbpf_out_printf(o, "<p>Flame graphs are drawn for the %d vhosts with the most "
                              "samples; the others' are in ?profile=VHOST.</p>\n", FLAME_VHOSTS);
        phpbpf_out_printf(o, "<p><a href=\"?profile=%s\">Folded stacks of %s</a></p>\n",
                          phpbpf_esc_html(p, apr_pescape_urlencoded(p, v[i]->name)), name);
    }
    phpbpf_out_str(o, script);
}
