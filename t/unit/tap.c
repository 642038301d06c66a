#include <stdarg.h>
#include <stdio.h>

#include "tap.h"

static int ntest, nfail;

void ok(int cond, const char *fmt, ...)
{
    va_list ap;

    ntest++;
    printf("%s %d - ", cond ? "ok" : "not ok", ntest);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    if (!cond)
        nfail++;
}

int done_testing(void)
{
    printf("1..%d\n", ntest);
    return nfail != 0;
}
