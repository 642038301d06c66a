/* What one probe hit costs, in a tight loop: a uprobe on a nop (what a
 * USDT note is), against a uprobe on a function's first instruction, which
 * the kernel has to emulate (push, libphp's) or single-step out of line
 * (endbr64, a build with -fcf-protection), on the instruction after an
 * endbr64 (where mod_phpbpf puts it), and a return probe (entry and return,
 * as on php_request_shutdown without USDT notes).
 *
 *   probe_cost MODE N    MODE: none nop push endbr endbr+4 ret
 *
 * Prints the ns per call.  Every mode but none attaches, to this process's
 * own text, an empty BPF program (the trap, not a program's work), through
 * the kernel's uprobe PMU: no bpftrace, whose startup and exit take
 * minutes on these machines.  Needs root.  The functions are assembly so
 * that their first instruction is the one named. */
#define _GNU_SOURCE
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

__asm__(".text\n"
        ".globl fn_nop\n.type fn_nop, @function\nfn_nop:\n"
        "  push %rbp\n  mov %rsp, %rbp\n"
        ".globl nop_site\nnop_site:\n  nop\n  pop %rbp\n  ret\n.size fn_nop, .-fn_nop\n"
        ".globl fn_push\n.type fn_push, @function\nfn_push:\n"
        "  push %rbp\n  mov %rsp, %rbp\n  pop %rbp\n  ret\n.size fn_push, .-fn_push\n"
        ".globl fn_endbr\n.type fn_endbr, @function\nfn_endbr:\n"
        "  endbr64\n.globl endbr_body\nendbr_body:\n"
        "  push %rbp\n  mov %rsp, %rbp\n  pop %rbp\n  ret\n.size fn_endbr, .-fn_endbr\n");
void fn_nop(void);
void fn_push(void);
void fn_endbr(void);
extern char nop_site[], endbr_body[];

static double now_ns(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

/* The file offset of an address of this program's text, from its maps. */
static unsigned long file_offset(const void *addr)
{
    unsigned long lo, hi, off, a = (unsigned long)addr;
    char line[512];
    FILE *f = fopen("/proc/self/maps", "r");

    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "%lx-%lx %*s %lx", &lo, &hi, &off) == 3 && a >= lo && a < hi) {
            fclose(f);
            return a - lo + off;
        }
    fprintf(stderr, "probe_cost: %p is in no mapping\n", addr);
    exit(1);
}

static void attach(const void *addr, int ret)
{
    struct bpf_insn prog[] = {
        { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
        { .code = BPF_JMP | BPF_EXIT },
    };
    struct perf_event_attr pa = { .size = sizeof(pa) };
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    int type, pfd, efd;
    FILE *f = fopen("/sys/bus/event_source/devices/uprobe/type", "r");

    if (n <= 0 || !f || fscanf(f, "%d", &type) != 1) {
        fprintf(stderr, "probe_cost: no uprobe PMU\n");
        exit(1);
    }
    fclose(f);
    self[n] = '\0';
    pfd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, "probe_cost", "GPL", prog, 2, NULL);
    pa.type = type;
    pa.config = ret ? 1 : 0;                   /* format/retprobe: config:0 */
    pa.config1 = (uint64_t)(uintptr_t)self;    /* uprobe_path */
    pa.config2 = file_offset(addr);            /* probe_offset */
    efd = (int)syscall(SYS_perf_event_open, &pa, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
    if (pfd < 0 || efd < 0 || ioctl(efd, PERF_EVENT_IOC_SET_BPF, pfd) != 0
        || ioctl(efd, PERF_EVENT_IOC_ENABLE, 0) != 0) {
        perror("probe_cost: attach");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    long i, n = argc > 2 ? atol(argv[2]) : 1000000;
    const char *mode = argc > 1 ? argv[1] : "none";
    void (*fn)(void) = fn_push;
    double t0;

    if (!strcmp(mode, "nop"))
        attach(nop_site, 0), fn = fn_nop;
    else if (!strcmp(mode, "push"))
        attach((void *)fn_push, 0);
    else if (!strcmp(mode, "endbr"))
        attach((void *)fn_endbr, 0), fn = fn_endbr;
    else if (!strcmp(mode, "endbr+4"))
        attach(endbr_body, 0), fn = fn_endbr;
    else if (!strcmp(mode, "ret"))
        attach((void *)fn_push, 1);
    else if (strcmp(mode, "none") || n <= 0) {
        fprintf(stderr, "usage: probe_cost none|nop|push|endbr|endbr+4|ret N\n");
        return 2;
    }
    t0 = now_ns();
    for (i = 0; i < n; i++)
        fn();
    printf("%.1f\n", (now_ns() - t0) / n);
    return 0;
}
