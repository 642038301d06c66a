/* PHP's errors as they reach Apache's error log: php:error does not fire
 * in Debian's PHP 8.2, even with USE_ZEND_DTRACE=1 (measured), so mod_php's
 * own lines are what there is to count.  Pure C, unit-tested. */
#ifndef PHPBPF_PHPERROR_H
#define PHPBPF_PHPERROR_H

#include <stddef.h>

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

/* Apache escapes every message it logs (ap_escape_errorlog_item: a
 * backslash as \\, control bytes and bytes above 0x7e as \n, \xNN...), and
 * the error_log hook sees it so; this gives back PHP's own text, into out
 * (at most n bytes with the NUL), so that each format escapes it once.  A
 * \x00 stays as it is. */
void phpbpf_log_unescape(const char *s, char *out, size_t n);

#endif
