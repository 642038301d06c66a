/* Internal interface between mod_phpbpf.c (hooks, helper supervision) and
 * render.c (the server-bpf page).  Not installed. */
#ifndef MOD_PHPBPF_H
#define MOD_PHPBPF_H

#include "httpd.h"
#include "http_config.h"
#include "hist.h"
#include "snapshot.h"
#include "shm.h"

/* What a page is rendered from: a private copy, never live shared memory
 * (mod_status's CVE-2014-0226 was rendering data while it changed). */
struct phpbpf_view {
    struct phpbpf_shared *sh;     /* copy, with sh->nvhosts vhost entries */
    const struct phpbpf_sparse *apache; /* per vhost: Apache time, sparse */
    /* Per vhost index: the helper's entry, or NULL (see phpbpf_bpf()). */
    const struct phpbpf_snap_vhost **bpf;
    const struct phpbpf_snapshot *snap; /* NULL if the helper gave none */
    __u32 *shown;                 /* vhosts with traffic, sorted by name */
    __u32 nshown;
    const char *unavailable;      /* why tracing is not active, or NULL */
    int helper_unreachable;       /* -> 503 */
    int refresh;                  /* seconds, 0 = none */
    int redact_query;
    apr_time_t now;
};

enum phpbpf_format { PHPBPF_FMT_HTML, PHPBPF_FMT_AUTO, PHPBPF_FMT_JSON, PHPBPF_FMT_METRICS };

/* The BPF side of vhost i: all zero when the helper had nothing for it. */
extern const struct phpbpf_snap_vhost phpbpf_no_data;

static inline const struct phpbpf_snap_vhost *phpbpf_bpf(const struct phpbpf_view *v, __u32 i)
{
    return v->bpf[i] ? v->bpf[i] : &phpbpf_no_data;
}

/* Fills v->shown/nshown once v->sh and v->bpf are in place. */
void phpbpf_view_order(apr_pool_t *p, struct phpbpf_view *v);

void phpbpf_render_html(request_rec *r, const struct phpbpf_view *v);
void phpbpf_render_auto(request_rec *r, const struct phpbpf_view *v);
void phpbpf_render_json(request_rec *r, const struct phpbpf_view *v);
void phpbpf_render_metrics(request_rec *r, const struct phpbpf_view *v, int openmetrics);

#endif
