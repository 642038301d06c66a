#include <stdlib.h>
#include <string.h>

#include "phperror.h"

static int level_of(const char *lvl, size_t n)
{
    if (n >= 5 && memcmp(lvl + n - 5, "error", 5) == 0)
        return 0;               /* Fatal error, Parse error, Recoverable fatal error... */
    if (n == 7 && memcmp(lvl, "Warning", 7) == 0)
        return 1;
    if (n == 6 && memcmp(lvl, "Notice", 6) == 0)
        return 2;
    return 3;                   /* Deprecated, Strict Standards, ... */
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

void phpbpf_log_unescape(const char *s, char *out, size_t n)
{
    static const char from[] = "bnrtvaf\\\"", to[] = "\b\n\r\t\v\a\f\\\"";
    size_t o = 0;

    while (*s && o + 1 < n) {
        const char *k;
        int hi, lo;

        if (s[0] == '\\' && s[1] == 'x' && (hi = hexval(s[2])) >= 0 && (lo = hexval(s[3])) >= 0
            && (hi | lo)) {
            out[o++] = (char)(hi << 4 | lo);
            s += 4;
        }
        else if (s[0] == '\\' && s[1] && (k = strchr(from, s[1])) != NULL) {
            out[o++] = to[k - from];
            s += 2;
        }
        else
            out[o++] = *s++;
    }
    out[o] = '\0';
}

int phpbpf_parse_php_error(const char *s, struct phpbpf_php_error *e)
{
    const char *colon, *body, *nl, *in = NULL, *p, *on;
    size_t n;

    memset(e, 0, sizeof(*e));
    if (strncmp(s, "PHP ", 4) != 0 || !(colon = strstr(s + 4, ":  ")))
        return -1;
    n = (size_t)(colon - (s + 4));
    if (n == 0 || n > 32 || memchr(s + 4, '\n', n))
        return -1;
    e->level = level_of(s + 4, n);
    body = colon + 3;
    e->uncaught = strncmp(body, "Uncaught ", 9) == 0;
    nl = strchr(body, '\n');
    /* the last " in FILE on line N" of the whole text */
    for (p = body; (p = strstr(p, " in ")) != NULL; p += 4)
        if (strstr(p + 4, " on line "))
            in = p;
    if (in) {
        on = strstr(in + 4, " on line ");
        while (strstr(on + 9, " on line "))
            on = strstr(on + 9, " on line ");
        e->file = in + 4;
        e->file_len = (size_t)(on - e->file);
        e->line = (unsigned)strtoul(on + 9, NULL, 10);
    }
    e->msg = body;
    e->msg_len = nl ? (size_t)(nl - body) : strlen(body);
    /* the message proper ends where its own " in FILE" begins */
    if (in && in < body + e->msg_len)
        e->msg_len = (size_t)(in - body);
    return 0;
}
