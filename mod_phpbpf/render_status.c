/* mod_phpbpf's section of /server-status (and its ?auto lines). */
#include "apr_strings.h"

#include "escape.h"
#include "render.h"


void phpbpf_render_status(const struct phpbpf_status_section *s, struct phpbpf_out *o,
                          apr_pool_t *p, int short_form)
{
    if (short_form) {
        phpbpf_out_printf(o, "PhpBpfTracing: %s\nPhpBpfPhpRequests: " PHPBPF_U64 "\nPhpBpfPhp5xx: " PHPBPF_U64
                          "\n", s->state, (apr_uint64_t)s->requests, (apr_uint64_t)s->php5xx);
        phpbpf_out_flush(o);
        return;
    }
    phpbpf_out_printf(o, "<hr /><h2>PHP tracing (mod_phpbpf)</h2>\n<dl><dt>Tracing: %s%s%s</dt>\n"
                      "<dt>PHP requests: " PHPBPF_U64 ", of which 5xx: " PHPBPF_U64 "</dt>\n"
                      "<dt>Per-vhost latency: see the server-bpf handler</dt></dl>\n",
                      s->state, s->reason ? " &mdash; " : "",
                      s->reason ? phpbpf_esc_html(p, s->reason) : "",
                      (apr_uint64_t)s->requests, (apr_uint64_t)s->php5xx);
    phpbpf_out_flush(o);
}
