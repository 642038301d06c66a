/* Text checks for output that must stay well-formed whatever a client
 * sent.  Pure C, unit-tested. */
#ifndef PHPBPF_TEXT_H
#define PHPBPF_TEXT_H

#include <stddef.h>

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

#endif
