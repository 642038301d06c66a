/* Every string that comes from a request or from PHP leaves through one
 * of these, in every format.  APR only, unit-tested. */
#ifndef PHPBPF_ESCAPE_H
#define PHPBPF_ESCAPE_H

#include <stddef.h>
#include "apr_pools.h"
#include "out.h"

/* Length (1-4) of the well-formed UTF-8 sequence at p (NUL-terminated), or
 * 0 if there is none: stray continuation bytes, overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are all refused (RFC 3629). */
size_t phpbpf_utf8_len(const unsigned char *p);

/* For HTML: < > & and " as entities (ap_escape_html's set). */
const char *phpbpf_esc_html(apr_pool_t *p, const char *s);

/* For HTML, a string a client or PHP chose (URI, Host, method, file and
 * class names, messages): as mod_status does for the request line,
 * log-escaped first, so control bytes and invalid UTF-8 show as \xNN and
 * the page stays ASCII, then HTML-escaped. */
const char *phpbpf_esc_req(apr_pool_t *p, const char *s);

/* For HTML, PHP's own text (error messages): as phpbpf_esc_req(), but
 * quotes are left alone, PHP's messages are full of them. */
const char *phpbpf_esc_msg(apr_pool_t *p, const char *s);

/* For plain text (?auto): control bytes, quotes and invalid UTF-8 as \xNN,
 * so a value stays on its line. */
const char *phpbpf_esc_text(apr_pool_t *p, const char *s);

/* A JSON string, quotes included. */
void phpbpf_json_str(struct phpbpf_out *o, const char *s);

/* A Prometheus label value, without the quotes. */
const char *phpbpf_prom_label(apr_pool_t *p, const char *s);

#endif
