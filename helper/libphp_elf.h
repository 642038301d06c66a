/* libphp's ELF: symbols, USDT notes, endbr64, and the layout check. */
#ifndef PHPBPF_HELPER_LIBPHP_ELF_H
#define PHPBPF_HELPER_LIBPHP_ELF_H

#include <stdint.h>
#include <sys/types.h>

/* What the probes need of libphp beyond its USDT notes: the functions
 * they can sit in when it has no notes (a PHP built without DTrace, or
 * stripped), and where PHP's globals are in httpd's children. */
struct phpbpf_libphp {
    int fn_startup, fn_shutdown, fn_compile, fn_throw;   /* exported */
    const char *layout_why;       /* NULL: the offsets of this build's PHP headers fit */
    uint64_t eg, sg;              /* &executor_globals, &sapi_globals (0: none) */
    uint64_t ex_lo, ex_hi;        /* execute_ex's code */
};

/* Reads the file's dynamic symbols, and where httpd has it (base, the
 * address of its offset 0 in httpd, when the module knows it; else httpd's
 * maps); never fails: what cannot be had is 0, and layout_why says why. */
void phpbpf_libphp_inspect(const char *library, pid_t httpd_pid, uint64_t base,
                           struct phpbpf_libphp *out);

/* base for the addresses as the file has them (a php-fpm binary, a PIE
 * each master loads elsewhere: bpf/requests.bpf.c works out where). */
#define PHPBPF_LIBPHP_FILE_ADDRS UINT64_MAX

/* 1 if the function's first instruction is endbr64: probe the next one. */
int phpbpf_libphp_endbr(const char *library, const char *func);

/* 1 if the file has the USDT note php:PROBE, 0 if not, -1 if it is not
 * an ELF file that can be read. */
int phpbpf_libphp_has_usdt(const char *library, const char *probe);

/* The same, and the probe's address as the file has it. */
int phpbpf_libphp_usdt_pc(const char *library, const char *probe, uint64_t *pc);

#endif
