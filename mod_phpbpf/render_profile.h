/* The page's section on PHP stacks (render_profile.c), for render_html.c. */
#ifndef PHPBPF_RENDER_PROFILE_H
#define PHPBPF_RENDER_PROFILE_H

#include "apr_pools.h"
#include "out.h"
#include "report.h"

void phpbpf_render_html_profile(const struct phpbpf_report *r, struct phpbpf_out *o, apr_pool_t *p);

#endif
