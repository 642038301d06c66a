/* The unit tests' TAP line, shared by their files. */
#ifndef PHPBPF_TAP_H
#define PHPBPF_TAP_H

void ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The plan line; the exit status. */
int done_testing(void);

#endif
