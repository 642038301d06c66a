#include <string.h>

#include "route.h"

static int name_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

const char *phpbpf_route_pattern_parse(const char *text, struct phpbpf_route_pattern *p)
{
    size_t len = strlen(text);
    const char *s = text + 1, *end;
    struct phpbpf_route_norm n;
    unsigned k;

    memset(p, 0, sizeof(*p));
    if (text[0] != '/')
        return "a route pattern starts with /";
    if (len >= PHPBPF_ROUTE_LEN)
        return "a route pattern is at most 95 bytes";
    while (*s) {
        size_t sl;

        end = strchr(s, '/');
        sl = end ? (size_t)(end - s) : strlen(s);
        if (!sl) {
            if (!end)
                break;          /* a trailing '/': the same route */
            return "a route pattern has no empty segment (//)";
        }
        if (p->rest)
            return "* is a pattern's last segment";
        if (p->nseg >= PHPBPF_ROUTE_PAT_SEGS)
            return "a route pattern has at most 8 segments";
        if (sl == 1 && s[0] == '*') {
            p->rest = 1;
        }
        else if (s[0] == '{') {
            if (sl < 3 || s[sl - 1] != '}')
                return "a pattern's {name} is a whole segment";
            for (k = 1; k + 1 < sl; k++)
                if (!name_byte((unsigned char)s[k]))
                    return "a pattern's {name} is letters, digits and _";
            p->wild |= 1u << p->nseg;
            p->nseg++;
        }
        else {
            __u64 h = PHPBPF_ROUTE_HASH_INIT;

            if (sl > PHPBPF_ROUTE_SEG_MAX)
                return "a pattern's segment is at most 48 bytes";
            for (k = 0; k < sl; k++) {
                unsigned char c = (unsigned char)s[k];

                if (c <= ' ' || c >= 0x7f || c == '{' || c == '}' || c == '*' || c == '?'
                    || c == '%' || c == '#')
                    return "a pattern's segment is printable ASCII without { } * ? % # or "
                           "spaces (it matches the path as Apache decoded it)";
                h = (h ^ c) * PHPBPF_ROUTE_HASH_MUL;
            }
            p->seg[p->nseg++] = h;
        }
        s += sl;
        if (*s == '/')
            s++;
    }
    if (!p->nseg)
        return "a route pattern names at least one segment (/* would be every request)";
    memcpy(p->text, text, len + 1);
    /* Its key is its text's, as if the normaliser had made it. */
    phpbpf_route_init(&n);
    memcpy(n.out, text, len);
    n.len = (__u32)len;
    p->hash = phpbpf_route_finish(&n);
    return NULL;
}

__u64 phpbpf_route_of(const char *path, const char *query, const struct phpbpf_route_pattern *pat,
                      unsigned npat, char *out)
{
    struct phpbpf_route_norm n;
    unsigned i;
    size_t k;
    int fc;
    __u64 h;

    phpbpf_route_init(&n);
    for (k = 0; path[k] && k < PHPBPF_ROUTE_PATH_READ - 1; k++)
        phpbpf_route_path_byte(&n, (unsigned char)path[k]);
    fc = phpbpf_route_path_end(&n);
    for (i = 0; i < npat && i < PHPBPF_ROUTE_PATTERNS; i++)
        if (phpbpf_route_match(&n, &pat[i])) {
            memcpy(out, pat[i].text, PHPBPF_ROUTE_LEN);
            return pat[i].hash;
        }
    if (fc && query) {
        for (k = 0; query[k] && k < PHPBPF_ROUTE_QUERY_READ - 1; k++)
            phpbpf_route_query_byte(&n, (unsigned char)query[k]);
        phpbpf_route_query_end(&n);
    }
    h = phpbpf_route_finish(&n);
    memcpy(out, n.out, PHPBPF_ROUTE_LEN);
    return h;
}
