/* Routes into the report: the snapshot holds them by vhost, most PHP time
 * first; each vhost gets its rows with (other) moved last. */
#include <string.h>

#include "report_build.h"
#include "report_routes.h"

static void row(struct phpbpf_report_route *o, const struct phpbpf_snap_route *x,
                const struct phpbpf_report_vhost *vh, double elapsed_s, int quantiles, int cpu)
{
    o->route = x->text;
    o->other = strcmp(x->text, PHPBPF_ROUTE_OTHER) == 0;
    o->ordinal = o->other ? PHPBPF_ROUTE_ORDINAL_OTHER : x->ordinal;
    o->requests = x->php.count;
    o->per_s = (double)x->php.count / elapsed_s;
    phpbpf_report_lat_of(&o->apache, &x->apache, quantiles);
    phpbpf_report_lat_of(&o->php, &x->php, quantiles);
    o->share = vh->php.hist->sum_us ? (double)x->php.sum_us / (double)vh->php.hist->sum_us : 0;
    memcpy(o->status, x->status, sizeof(o->status));
    o->exceptions = x->exc_thrown;
    o->errors = x->errors;
    o->on_us = cpu ? x->on_us : 0;
    o->off_us = cpu ? x->off_us : 0;
    o->wait_us = cpu ? x->wait_us : NULL;
}

void phpbpf_report_routes(apr_pool_t *p, struct phpbpf_report *r, const struct phpbpf_snapshot *s,
                          struct phpbpf_report_vhost *v)
{
    double elapsed = s->now_us > s->php_since_us ? (double)(s->now_us - s->php_since_us) / 1e6 : 0;
    uint32_t i, k;

    r->max_routes = s->max_routes;
    r->routes_lost = s->counters[PHPBPF_CTR(routes_lost)];
    if (elapsed < 0.001)
        elapsed = 0.001;
    for (i = 0; i < s->nroutes; i = k) {
        uint32_t vidx = s->routes[i].vhost, n, j, at = 0;
        struct phpbpf_report_route *o;
        int other = -1;

        for (k = i; k < s->nroutes && s->routes[k].vhost == vidx; k++)
            ;
        if (vidx >= r->nvhosts || v[vidx].routes)
            continue;
        n = k - i;
        o = apr_palloc(p, n * sizeof(*o));
        for (j = i; j < k; j++) {
            if (other < 0 && strcmp(s->routes[j].text, PHPBPF_ROUTE_OTHER) == 0) {
                other = (int)j;
                continue;
            }
            row(&o[at++], &s->routes[j], &v[vidx], elapsed, r->quantiles, r->cpu_traced);
        }
        if (other >= 0)
            row(&o[at++], &s->routes[other], &v[vidx], elapsed, r->quantiles, r->cpu_traced);
        v[vidx].routes = o;
        v[vidx].nroutes = at;
    }
}
