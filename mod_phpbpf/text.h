/* Text checks for output that must stay well-formed whatever a client
 * sent.  Pure C, unit-tested. */
#ifndef PHPBPF_TEXT_H
#define PHPBPF_TEXT_H

#include <stddef.h>

/* Length (1-4) of the well-formed UTF-8 sequence at p (NUL-terminated), or
 * 0 if there is none: stray continuation bytes, overlong forms, UTF-16
 * surrogates and code points above U+10FFFF are all refused (RFC 3629). */
size_t phpbpf_utf8_len(const unsigned char *p);

#endif
