/* The report's SQL statements: each vhost's, most time first, with their
 * callers and slowest runs' stacks named as the profile names frames. */
#include "apr_strings.h"

#include "report_build.h"
#include "report_queries.h"

static const char *const system_names[PHPBPF_DB_SYSTEMS] = { PHPBPF_DB_SYSTEM_NAMES };

void phpbpf_report_queries(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s,
                           struct phpbpf_report_vhost *v, struct phpbpf_report_names *n)
{
    struct phpbpf_report_stmt *out;
    uint32_t i, j;

    r->queries_state = (int)s->queries_state;
    r->queries_reason = s->queries_reason[0] ? s->queries_reason : NULL;
    if (!s->nstmts)
        return;
    out = apr_pcalloc(p, s->nstmts * sizeof(*out));
    /* The helper sends them by vhost, then most time first: each vhost's
     * are one run of the array. */
    for (i = 0; i < s->nstmts; i = j) {
        struct phpbpf_report_vhost *vh;
        double php_us;

        for (j = i; j < s->nstmts && s->stmts[j].vhost == s->stmts[i].vhost; j++)
            ;
        if (s->stmts[i].vhost >= r->nvhosts)
            continue;
        vh = &v[s->stmts[i].vhost];
        vh->stmts = out + i;
        vh->nstmts = j - i;
        php_us = (double)vh->php.hist->sum_us;
        for (uint32_t k = i; k < j; k++) {
            const struct phpbpf_snap_stmt *x = &s->stmts[k];
            struct phpbpf_report_stmt *o = &out[k];
            struct phpbpf_report_frame *fr;

            o->text = x->text;
            o->truncated = (x->flags & PHPBPF_STMT_TRUNCATED) != 0;
            o->system = system_names[x->system];
            o->server = x->server;
            o->count = x->time.count;
            o->errors = x->errors;
            phpbpf_report_lat_of(&o->time, &x->time, r->quantiles);
            o->total_us = x->ns / 1000;
            /* The vhost's PHP time counts since the start, the statements
             * over the window: a share of the whole until the window is
             * full, at most 1. */
            o->share = php_us > 0 ? (double)o->total_us / php_us : 0;
            if (o->share > 1)
                o->share = 1;
            if ((o->caller_known = x->caller.fid != 0))
                o->caller = phpbpf_report_frame_of(n, p, &x->caller);
            o->slowest_us = x->slowest_ns / 1000;
            fr = apr_pcalloc(p, (x->nframes + 1) * sizeof(*fr));
            for (uint32_t f = 0; f < x->nframes; f++)
                fr[f] = phpbpf_report_frame_of(n, p, &x->frame[f]);
            o->frame = fr;
            o->nframes = x->nframes;
        }
    }
    for (i = 0; i < s->nstmts_lost; i++)
        if (s->stmts_lost[i].vhost < r->nvhosts)
            v[s->stmts_lost[i].vhost].stmts_lost = s->stmts_lost[i].lost;
}

void phpbpf_report_slow_queries(apr_pool_t *p, struct phpbpf_report_slow *q,
                                struct phpbpf_report_names *n,
                                const struct phpbpf_snap_slow_stmts *ss)
{
    struct phpbpf_report_req_stmt *out;
    uint32_t i;

    if (!ss || !ss->known)
        return;
    q->queries_known = 1;
    q->queries = ss->count;
    q->queries_us = ss->ns / 1000;
    out = apr_pcalloc(p, (ss->n + 1) * sizeof(*out));
    for (i = 0; i < ss->n; i++) {
        const struct phpbpf_snap_req_stmt *x = &ss->stmt[i];

        out[i].text = x->text;
        out[i].truncated = (x->flags & PHPBPF_STMT_TRUNCATED) != 0;
        out[i].count = x->count;
        out[i].total_us = x->ns / 1000;
        if ((out[i].caller_known = x->caller.fid != 0))
            out[i].caller = phpbpf_report_frame_of(n, p, &x->caller);
        out[i].n_plus_one = x->count >= PHPBPF_N_PLUS_ONE;
    }
    q->stmts = out;
    q->nstmts = ss->n;
}
