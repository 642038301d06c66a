/* What the HTML page's sections (render_html.c, render_html_php.c) are
 * written with: the page, escaping, cells and the text of a time. */
#ifndef PHPBPF_HTML_PAGE_H
#define PHPBPF_HTML_PAGE_H

#include "escape.h"
#include "render.h"

struct page {
    struct phpbpf_out *o;
    apr_pool_t *p;
    const struct phpbpf_report *r;
    const char **name;            /* vhost names escaped, on first use */
};

static inline void puts_(struct page *g, const char *s)
{
    phpbpf_out_str(g->o, s);
}

#define printf_(g, ...) phpbpf_out_printf((g)->o, __VA_ARGS__)

static inline const char *esc(struct page *g, const char *s)
{
    return phpbpf_esc_html(g->p, s);
}

static inline const char *esc_req(struct page *g, const char *s)
{
    return phpbpf_esc_req(g->p, s);
}

/* Vhost names come back in several tables: escaped once per page. */
static inline const char *vname(struct page *g, uint32_t i)
{
    if (!g->name[i])
        g->name[i] = esc(g, g->r->vhost[i].name);
    return g->name[i];
}

static inline void td(struct page *g, const char *s)
{
    puts_(g, "<td>");
    puts_(g, s);
    puts_(g, "</td>");
}

static inline void td_u64(struct page *g, uint64_t v)
{
    puts_(g, "<td>");
    phpbpf_out_u64(g->o, v);
    puts_(g, "</td>");
}

/* A time in microseconds as text: buf (PHPBPF_HTML_US bytes) if need be. */
#define PHPBPF_HTML_US 48
const char *phpbpf_html_us(char *buf, double us);
/* The text of each histogram bucket's lower bound, [PHPBPF_HIST_BUCKETS]
 * the upper bound of the last. */
const char (*phpbpf_html_lower_texts(void))[PHPBPF_HTML_US];

/* The sections of render_html_php.c, which render_html.c puts on the
 * page. */
void phpbpf_html_slow(struct page *g);
/* Frames as php-fpm's slowlog prints them, a line each, innermost first. */
void phpbpf_html_frames(struct page *g, const struct phpbpf_report_frame *f, unsigned n);
void phpbpf_html_routes(struct page *g);
void phpbpf_html_queries(struct page *g);
/* A slow request's statements, a row of the slow log's table. */
void phpbpf_html_slow_queries(struct page *g, const struct phpbpf_report_slow *e);
void phpbpf_html_cpu(struct page *g);
void phpbpf_html_waits(struct page *g);
void phpbpf_html_errors(struct page *g);

#endif
