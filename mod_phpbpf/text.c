#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "snapshot.h"
#include "text.h"

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

void phpbpf_out_flush(struct phpbpf_out *o)
{
    if (o->len)
        o->flush(o->ctx, o->buf, o->len);
    o->len = 0;
}

char *phpbpf_out_room(struct phpbpf_out *o, size_t n)
{
    if (o->cap - o->len < n)
        phpbpf_out_flush(o);
    return o->buf + o->len;
}

void phpbpf_out_write_slow(struct phpbpf_out *o, const void *p, size_t n)
{
    const char *s = p;

    while (n) {
        size_t k = o->cap - o->len;

        if (!k) {
            phpbpf_out_flush(o);
            k = o->cap;
        }
        if (k > n)
            k = n;
        memcpy(o->buf + o->len, s, k);
        o->len += k;
        s += k;
        n -= k;
    }
}

size_t phpbpf_fmt_u64(char *dst, uint64_t v)
{
    char tmp[20];
    size_t n = 0;

    do {
        tmp[sizeof(tmp) - ++n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(dst, tmp + sizeof(tmp) - n, n);
    return n;
}

size_t phpbpf_fmt_micro(char *dst, uint64_t v)
{
    size_t n = phpbpf_fmt_u64(dst, v / 1000000);
    uint32_t f = (uint32_t)(v % 1000000);
    int i;

    dst[n] = '.';
    for (i = 6; i > 0; i--) {
        dst[n + i] = (char)('0' + f % 10);
        f /= 10;
    }
    return n + 7;
}

double phpbpf_snap_quantile(const struct phpbpf_snap_hist *h, double q)
{
    uint64_t total = 0, rank, seen = 0;
    uint32_t i, b = PHPBPF_HIST_BUCKETS - 1;
    double mid;

    for (i = 0; i < h->nnz; i++)
        total += h->bucket[i].count;
    if (total == 0 || !(q > 0))
        return 0;
    if (q > 1)
        q = 1;
    rank = (uint64_t)ceil(q * (double)total);
    if (rank < 1)
        rank = 1;
    for (i = 0; i < h->nnz; i++) {
        seen += h->bucket[i].count;
        if (seen >= rank) {
            b = h->bucket[i].idx;
            break;
        }
    }
    mid = (double)phpbpf_bucket_lower(b) + (double)(phpbpf_bucket_width(b) - 1) / 2.0;
    if (h->max_us && mid > (double)h->max_us)
        mid = (double)h->max_us;
    return mid;
}

double phpbpf_snap_mean(const struct phpbpf_snap_hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count : 0;
}
