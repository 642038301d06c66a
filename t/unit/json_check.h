/* A strict RFC 8259 recogniser for the unit tests: 1 if all of s is one
 * JSON value.  ASCII only outside strings is all the renderer writes. */
#ifndef PHPBPF_JSON_CHECK_H
#define PHPBPF_JSON_CHECK_H

int json_ok(const char *s);

#endif
