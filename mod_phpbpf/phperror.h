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

#endif
