/* ?json's output, checked strictly (json_check.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "json_check.h"

/* A strict RFC 8259 recogniser: 1 if all of s is one JSON value.  ASCII
 * only outside strings is all the renderer writes. */
static const char *json_value(const char *s, int depth);

static const char *json_ws(const char *s)
{
    while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')
        s++;
    return s;
}

static const char *json_string(const char *s)
{
    if (*s++ != '"')
        return NULL;
    while (*s != '"') {
        unsigned char c = (unsigned char)*s;

        if (c < 0x20)
            return NULL;
        if (c == '\\') {
            s++;
            if (*s == 'u') {
                int i;

                for (i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)s[i]))
                        return NULL;
                s += 5;
                continue;
            }
            if (!strchr("\"\\/bfnrt", *s) || !*s)
                return NULL;
            s++;
            continue;
        }
        if (c >= 0x80) {
            size_t n = phpbpf_utf8_len((const unsigned char *)s);

            if (!n)
                return NULL;
            s += n;
            continue;
        }
        s++;
    }
    return s + 1;
}

static const char *json_number(const char *s)
{
    const char *start;

    if (*s == '-')
        s++;
    start = s;
    if (*s == '0')
        s++;
    else
        while (isdigit((unsigned char)*s))
            s++;
    if (s == start)
        return NULL;
    if (*s == '.') {
        start = ++s;
        while (isdigit((unsigned char)*s))
            s++;
        if (s == start)
            return NULL;
    }
    return s;
}

static const char *json_list(const char *s, char close, int object, int depth)
{
    s = json_ws(s + 1);
    if (*s == close)
        return s + 1;
    for (;;) {
        if (object) {
            if (!(s = json_string(json_ws(s))))
                return NULL;
            s = json_ws(s);
            if (*s++ != ':')
                return NULL;
        }
        if (!(s = json_value(s, depth + 1)))
            return NULL;
        s = json_ws(s);
        if (*s == close)
            return s + 1;
        if (*s++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *s, int depth)
{
    s = json_ws(s);
    if (depth > 32)
        return NULL;
    switch (*s) {
    case '{': return json_list(s, '}', 1, depth);
    case '[': return json_list(s, ']', 0, depth);
    case '"': return json_string(s);
    case 't': return strncmp(s, "true", 4) == 0 ? s + 4 : NULL;
    case 'f': return strncmp(s, "false", 5) == 0 ? s + 5 : NULL;
    case 'n': return strncmp(s, "null", 4) == 0 ? s + 4 : NULL;
    default: return json_number(s);
    }
}

int json_ok(const char *s)
{
    const char *end = json_value(s, 0);

    return end && *json_ws(end) == '\0';
}
