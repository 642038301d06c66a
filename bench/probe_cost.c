/* What one probe hit costs, in a tight loop: a USDT note (a nop) against a
 * uprobe on a function's first instruction, which the kernel has to
 * emulate or single-step out of line.  libphp's php_request_startup begins
 * with push; other builds (-fcf-protection) begin with endbr64, so both are
 * here, and a return probe for php_request_shutdown's.
 *
 *   probe_cost MODE N    MODE: none usdt push endbr; prints ns per call
 *
 * The functions are written in assembly so that their first instruction is
 * the one named, whatever the compiler would have emitted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sdt.h>
#include <time.h>

__asm__(".text\n"
        ".globl fn_push\n.type fn_push, @function\nfn_push:\n"
        "  push %rbp\n  mov %rsp, %rbp\n  pop %rbp\n  ret\n.size fn_push, .-fn_push\n"
        ".globl fn_endbr\n.type fn_endbr, @function\nfn_endbr:\n"
        "  endbr64\n  push %rbp\n  mov %rsp, %rbp\n  pop %rbp\n  ret\n.size fn_endbr, .-fn_endbr\n");
void fn_push(void);
void fn_endbr(void);

static double now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv)
{
    long i, n = argc > 2 ? atol(argv[2]) : 1000000;
    const char *mode = argc > 1 ? argv[1] : "none";
    double t0;

    if (n <= 0 || (strcmp(mode, "none") && strcmp(mode, "usdt") && strcmp(mode, "push")
                   && strcmp(mode, "endbr"))) {
        fprintf(stderr, "usage: probe_cost none|usdt|push|endbr N\n");
        return 2;
    }
    t0 = now_ns();
    if (!strcmp(mode, "usdt"))
        for (i = 0; i < n; i++) {
            DTRACE_PROBE1(phpbpf_bench, nop, i);
            fn_push();
        }
    else if (!strcmp(mode, "endbr"))
        for (i = 0; i < n; i++)
            fn_endbr();
    else
        for (i = 0; i < n; i++)
            fn_push();
    printf("%.1f\n", (now_ns() - t0) / n);
    return 0;
}
