/* The page's section on PHP stacks (render_profile.c), for render_html.c. */
#ifndef PHPBPF_RENDER_PROFILE_H
#define PHPBPF_RENDER_PROFILE_H

#include "apr_pools.h"
#include "out.h"
#include "report.h"

void phpbpf_render_html_profile(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p);

/* Local time, as ap_ht_time() gives it; and a duration in words. */
const char *phpbpf_fmt_time(apr_pool_t *p, uint64_t us, const char *fmt);
const char *phpbpf_fmt_age(apr_pool_t *p, apr_uint64_t s);

/* What period the tables (profile, call sites, classes, scripts) cover:
 * "the last 7m 12s (since 14:02:11)". */
const char *phpbpf_window_text(apr_pool_t *p, const struct phpbpf_report *r);

#endif
