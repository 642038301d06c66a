/* The client libraries' ELF: where the probes for SQL go in PHP's mysqlnd,
 * which every MySQL query of mysqli and pdo_mysql goes through, and in
 * libpq, which pgsql's and pdo_pgsql's do. */
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

/* libpq: the functions PHP's pgsql and PDO_pgsql run statements with,
 * exported, found by name; file offsets to probe (past an endbr64). */
#define PHPBPF_LIBPQ_FUNCS 4
#define PHPBPF_LIBPQ_NAMES { "PQexec", "PQexecParams", "PQexecPrepared", "PQprepare" }
enum { PHPBPF_PQ_EXEC, PHPBPF_PQ_EXEC_PARAMS, PHPBPF_PQ_EXEC_PREPARED, PHPBPF_PQ_PREPARE };

struct phpbpf_libpq {
    uint64_t off[PHPBPF_LIBPQ_FUNCS];
    uint32_t status_off;      /* PGresult's status, from PQresultStatus; 0: not known */
    unsigned stepped;         /* bit i: off[i] is not a push (single-stepped, slow) */
    char why[256];
};

/* 0 if all four were found; -1 otherwise, with why. */
int phpbpf_libpq_inspect(const char *path, struct phpbpf_libpq *out);
/* The offset PQresultStatus's first bytes read the status at, 0 if they
 * are not the code expected. */
uint32_t phpbpf_libpq_status_offset(const unsigned char *code, size_t n);

#endif
