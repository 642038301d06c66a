/* The text of a time on the HTML page (html_page.h). */
#include <string.h>

#include "apr_strings.h"

#include "html_page.h"

static const char *fmt_us_apr(char *buf, double us)
{
    if (us >= 1e6)
        apr_snprintf(buf, PHPBPF_HTML_US, "%.2f s", us / 1e6);
    else if (us >= 1e3)
        apr_snprintf(buf, PHPBPF_HTML_US, "%.2f ms", us / 1e3);
    else
        apr_snprintf(buf, PHPBPF_HTML_US, "%.0f &micro;s", us);
    return buf;
}

/* The times the page shows are mostly histogram bucket bounds and middles
 * (percentiles are middles): their text is made once per process. */
static char lower_text[PHPBPF_HIST_BUCKETS + 1][PHPBPF_HTML_US], mid_text[PHPBPF_HIST_BUCKETS][PHPBPF_HTML_US];

static void us_texts(void)
{
    uint32_t b;

    if (lower_text[0][0])
        return;
    for (b = 0; b < PHPBPF_HIST_BUCKETS; b++) {
        fmt_us_apr(lower_text[b], (double)phpbpf_bucket_lower(b));
        fmt_us_apr(mid_text[b], phpbpf_bucket_mid(b));
    }
    fmt_us_apr(lower_text[b], (double)(phpbpf_bucket_lower(b - 1) + phpbpf_bucket_width(b - 1)));
}

/* A time in microseconds as text; buf (PHPBPF_HTML_US bytes) is used if needed. */
const char *phpbpf_html_us(char *buf, double us)
{
    us_texts();
    if (us >= 0 && us < (double)phpbpf_bucket_lower(PHPBPF_HIST_BUCKETS - 1)) {
        uint32_t b = phpbpf_hist_bucket((__u64)us);

        if (us == (double)phpbpf_bucket_lower(b))
            return lower_text[b];
        if (us == phpbpf_bucket_mid(b))
            return mid_text[b];
    }
    /* A whole number below 1000 is "%.0f" of itself: its digits. */
    if (us >= 0 && us < 1e3 && us == (double)(uint64_t)us) {
        buf[phpbpf_fmt_u64(buf, (uint64_t)us)] = '\0';
        return strcat(buf, " &micro;s");
    }
    return fmt_us_apr(buf, us);
}

const char (*phpbpf_html_lower_texts(void))[PHPBPF_HTML_US]
{
    us_texts();
    return (const char (*)[PHPBPF_HTML_US])lower_text;
}

/* A PHP stack as php-fpm's slowlog prints it, innermost first: a slow
 * request's backtrace (render_html_php.c), a statement's caller
 * (render_html_queries.c). */
void phpbpf_html_frames(struct page *g, const struct phpbpf_report_frame *f, unsigned n)
{
    unsigned k;

    for (k = 0; k < n; k++) {
        if (f[k].internal)
            printf_(g, "%s() (internal)\n", esc_req(g, f[k].function));
        else
            printf_(g, "%s() %s:%u\n", esc_req(g, f[k].function), esc_req(g, f[k].file), f[k].line);
    }
}
