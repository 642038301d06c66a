#include "apr_escape.h"
#include "apr_strings.h"

#include "escape.h"

static int cont(unsigned char c, unsigned char lo, unsigned char hi)
{
    return c >= lo && c <= hi;
}

size_t phpbpf_utf8_len(const unsigned char *p)
{
    unsigned char c = p[0];

    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return cont(p[1], 0x80, 0xbf) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
        /* E0 needs A0.. (no overlongs), ED needs ..9F (no surrogates) */
        unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

        return cont(p[1], lo, hi) && cont(p[2], 0x80, 0xbf) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        /* F0 needs 90.. (no overlongs), F4 needs ..8F (<= U+10FFFF) */
        unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

        return cont(p[1], lo, hi) && cont(p[2], 0x80, 0xbf) && cont(p[3], 0x80, 0xbf) ? 4 : 0;
    }
    return 0;
}

const char *phpbpf_esc_html(apr_pool_t *p, const char *s)
{
    return apr_pescape_entity(p, s, 0);
}

/* apr_pescape_echo() is ap_escape_logitem() but for BEL and FF, which it
 * writes as \a and \f rather than \x07 and \x0c. */
const char *phpbpf_esc_req(apr_pool_t *p, const char *s)
{
    return apr_pescape_entity(p, apr_pescape_echo(p, s, 1), 0);
}

const char *phpbpf_esc_msg(apr_pool_t *p, const char *s)
{
    return apr_pescape_entity(p, apr_pescape_echo(p, s, 0), 0);
}

const char *phpbpf_esc_text(apr_pool_t *p, const char *s)
{
    return apr_pescape_echo(p, s, 1);
}

/* JSON string with everything outside printable ASCII escaped, '<' '>' '&'
 * included so the text is inert even if pasted into HTML; bytes that are
 * not valid UTF-8 become U+FFFD rather than invalid JSON. */
void phpbpf_json_str(struct phpbpf_out *o, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;

    phpbpf_out_putc(o, '"');
    while (*p) {
        unsigned char c = *p;

        if (c >= 0x80) {
            size_t n = phpbpf_utf8_len(p);

            if (n) {
                phpbpf_out_write(o, p, n);
                p += n;
            }
            else {
                phpbpf_out_str(o, "\\ufffd");
                p++;
            }
            continue;
        }
        if (c == '"' || c == '\\')
            phpbpf_out_printf(o, "\\%c", c);
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7f)
            phpbpf_out_printf(o, "\\u%04x", c);
        else
            phpbpf_out_putc(o, c);
        p++;
    }
    phpbpf_out_putc(o, '"');
}

/* Label values: backslash, double quote and newline escaped, as both
 * formats require, and valid UTF-8, which Prometheus requires of a whole
 * scrape: a route comes from a request's path as Apache decoded it, where
 * %ff is a byte 0xff.  A byte that starts no valid sequence is U+FFFD. */
const char *phpbpf_prom_label(apr_pool_t *p, const char *s)
{
    char *o = apr_palloc(p, 3 * strlen(s) + 1), *q = o;

    while (*s) {
        size_t n;

        if (*s == '\\' || *s == '"') {
            *q++ = '\\';
            *q++ = *s++;
        }
        else if (*s == '\n') {
            *q++ = '\\';
            *q++ = 'n';
            s++;
        }
        else if ((unsigned char)*s < 0x80) {
            *q++ = *s++;
        }
        else if ((n = phpbpf_utf8_len((const unsigned char *)s)) > 0) {
            memcpy(q, s, n);
            q += n;
            s += n;
        }
        else {
            memcpy(q, "\xef\xbf\xbd", 3);
            q += 3;
            s++;
        }
    }
    *q = '\0';
    return o;
}
