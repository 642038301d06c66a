/* The output buffer every format writes through, and the number
 * formatting that keeps a thousand vhosts' worth of text cheap.  Both are
 * hand-written for a measured reason: a thousand vhosts make about 90,000
 * lines of ?metrics, and printf plus a write per line cost three times
 * the rest of the page.  APR only (its formatter for the few printf-style
 * lines), unit-tested. */
#ifndef PHPBPF_OUT_H
#define PHPBPF_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "apr.h"

/* APR's formatter has no %llu: a 64-bit value, in a format of its. */
#define PHPBPF_U64 "%" APR_UINT64_T_FMT

/* The page goes to its sink 64 KB at a time.  A thousand vhosts make tens
 * of thousands of rows, and ap_rprintf() passes Apache every 8 KB as it
 * fills: a write to the client, and a wakeup of it, for each. */
#define PHPBPF_OUT_SIZE (64 * 1024)

/* Output gathered into large writes.  A thousand vhosts make about 90,000
 * lines of ?metrics; formatting each through printf and handing each to
 * Apache cost more than the lines themselves.  flush() gets the text
 * whenever the buffer fills, and at phpbpf_out_flush(). */
struct phpbpf_out {
    char *buf;
    size_t len, cap;
    void (*flush)(void *ctx, const char *p, size_t n);
    void *ctx;
};

void phpbpf_out_flush(struct phpbpf_out *o);
void phpbpf_out_write_slow(struct phpbpf_out *o, const void *p, size_t n);

/* Inline: the page is mostly short pieces that fit. */
static inline void phpbpf_out_write(struct phpbpf_out *o, const void *p, size_t n)
{
    if (n <= o->cap - o->len) {
        memcpy(o->buf + o->len, p, n);
        o->len += n;
    }
    else
        phpbpf_out_write_slow(o, p, n);
}

static inline void phpbpf_out_str(struct phpbpf_out *o, const char *s)
{
    phpbpf_out_write(o, s, strlen(s));
}

/* At least n (at most cap) contiguous bytes to write into; the caller adds
 * what it wrote to o->len. */
char *phpbpf_out_room(struct phpbpf_out *o, size_t n);

static inline void phpbpf_out_putc(struct phpbpf_out *o, char c)
{
    phpbpf_out_write(o, &c, 1);
}

/* With APR's formatter, as ap_rprintf() writes: no %ll, %z or %j; 64-bit
 * values take APR_UINT64_T_FMT. */
void phpbpf_out_printf(struct phpbpf_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Longest phpbpf_fmt_u64() and phpbpf_fmt_micro() text. */
#define PHPBPF_FMT_MAX 24

/* v in decimal, as printf's %llu; not NUL-terminated.  Returns the length. */
size_t phpbpf_fmt_u64(char *dst, uint64_t v);

/* v / 10^6 with six decimals, the text "%.6f" gives for v / 1e6 while v
 * is below PHPBPF_FMT_MICRO_EXACT: up to there the double is within a
 * tenth of the last decimal, so every correct formatter (APR's included)
 * prints the exact quotient.  Not NUL-terminated; returns the length. */
#define PHPBPF_FMT_MICRO_EXACT 1000000000000000ULL
size_t phpbpf_fmt_micro(char *dst, uint64_t v);

/* v in decimal, straight into o. */
void phpbpf_out_u64(struct phpbpf_out *o, uint64_t v);

#endif
