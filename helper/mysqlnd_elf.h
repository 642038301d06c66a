/* mysqlnd.so's ELF: where the probes for SQL go in PHP's mysqlnd, which
 * every MySQL query of mysqli and pdo_mysql goes through. */
#ifndef PHPBPF_HELPER_MYSQLND_ELF_H
#define PHPBPF_HELPER_MYSQLND_ELF_H

#include <stddef.h>
#include <stdint.h>

/* File offsets, what a uprobe is attached at.  A probe past a leading
 * `test %rdi,%rdi; je` does not see the calls with a NULL first argument,
 * which return at once without a query. */
struct phpbpf_mysqlnd {
    uint64_t query;          /* file offset to probe for mysqlnd_conn_data::query; 0: not found */
    uint64_t stmt_prepare;   /* file offset to probe in mysqlnd_stmt::prepare (past test/je, endbr64) */
    uint64_t stmt_execute;   /* mysqlnd_stmt::execute */
    unsigned stepped;        /* bit 0 query, 1 prepare, 2 execute: the probe point is not a push (single-stepped, slow) */
    char why[256];           /* "" when all three were found; else what is missing and why, one line, for the operator */
};

#define PHPBPF_MYSQLND_STEPPED_QUERY   (1u << 0)
#define PHPBPF_MYSQLND_STEPPED_PREPARE (1u << 1)
#define PHPBPF_MYSQLND_STEPPED_EXECUTE (1u << 2)

/* 0 if all three were found; -1 otherwise (what was found is set, why says what not). Never crashes on a bad file. */
int phpbpf_mysqlnd_inspect(const char *path, struct phpbpf_mysqlnd *out);

/* How many bytes of a function's first N bytes of CODE a probe skips (an
 * endbr64, then a `test %rdi,%rdi` and a je); *push: 1 if the instruction
 * there is a push, which the kernel emulates, 0 if it is single-stepped. */
size_t phpbpf_mysqlnd_prologue(const unsigned char *code, size_t n, int *push);

#endif
