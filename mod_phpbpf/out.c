#include <stdarg.h>

#include "apr_lib.h"

#include "out.h"

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

    /* Most numbers of a page are bucket counts of a few requests. */
    if (v < 10) {
        *dst = (char)('0' + v);
        return 1;
    }
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

void phpbpf_out_u64(struct phpbpf_out *o, uint64_t v)
{
    o->len += phpbpf_fmt_u64(phpbpf_out_room(o, PHPBPF_FMT_MAX), v);
}

struct vout {
    apr_vformatter_buff_t vb;
    struct phpbpf_out *b;
};

static int vout_flush(apr_vformatter_buff_t *vb)
{
    struct vout *vo = (struct vout *)vb;

    vo->b->len = (size_t)(vb->curpos - vo->b->buf);
    phpbpf_out_flush(vo->b);
    vb->curpos = vo->b->buf;
    vb->endpos = vo->b->buf + vo->b->cap;
    return 0;
}

void phpbpf_out_printf(struct phpbpf_out *o, const char *fmt, ...)
{
    struct vout vo = { { o->buf + o->len, o->buf + o->cap }, o };
    va_list ap;

    va_start(ap, fmt);
    apr_vformatter(vout_flush, &vo.vb, fmt, ap);
    va_end(ap);
    o->len = (size_t)(vo.vb.curpos - o->buf);
}
