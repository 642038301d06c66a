/* Text for the page: checks for output that must stay well-formed
 * whatever a client sent, and the number formatting and buffering that
 * keep a thousand vhosts' worth of it cheap.  Pure C, unit-tested. */
#ifndef PHPBPF_TEXT_H
#define PHPBPF_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Length (1-4) of the well-formed UTF-8 sequence at p (NUL-terminated), or
 * 0 if there is none: stray continuation bytes, overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are all refused (RFC 3629). */
size_t phpbpf_utf8_len(const unsigned char *p);

/* One PHP error line as mod_php logs it:
 *   "PHP Warning:  Undefined variable $x in /var/www/a.php on line 2"
 * Multi-line messages (uncaught exceptions and their stack trace) keep the
 * first line as the message and the last " in FILE on line N". */
struct phpbpf_php_error {
    int level;                  /* 0 fatal/error, 1 warning, 2 notice, 3 other */
    int uncaught;               /* "Uncaught ..." */
    const char *msg;            /* not NUL-terminated: msg_len bytes */
    size_t msg_len;
    const char *file;           /* NULL if none; file_len bytes */
    size_t file_len;
    unsigned line;
};

/* 0 if s is a PHP error line, -1 otherwise. */
int phpbpf_parse_php_error(const char *s, struct phpbpf_php_error *e);

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

struct phpbpf_snap_hist;

/* What phpbpf_hist_quantile() and phpbpf_hist_mean() give for the same
 * buckets, from a snapshot histogram: a walk over the buckets in use
 * instead of two scans of all 512 per percentile. */
double phpbpf_snap_quantile(const struct phpbpf_snap_hist *h, double q);
double phpbpf_snap_mean(const struct phpbpf_snap_hist *h);

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

#endif
