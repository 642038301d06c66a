/* The SQL normaliser (common/sqlnorm.c): the canonical form on the
 * statements PHP applications send, that only the shape survives (the
 * same shape with other values or layout is the same text, a secret is
 * never in it), and its bounds on long and hostile input. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sqlnorm.h"
#include "sqlnorm_tests.h"
#include "tap.h"

static const char *norm(const char *sql, unsigned *flags)
{
    static char out[PHPBPF_SQL_TEXT];
    unsigned f = phpbpf_sql_normalize(sql, strlen(sql), 0, out, sizeof(out));

    if (flags)
        *flags = f;
    return out;
}

/* The input on one TAP line: \n, \t ... as \x escapes. */
static const char *shown(const char *s)
{
    static char buf[1024];
    size_t n = 0;

    for (; *s && n + 5 < sizeof(buf); s++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, (unsigned char)*s < ' ' ? "\\x%02x" : "%c",
                              (unsigned char)*s);
    buf[n] = '\0';
    return buf;
}

static void test_cases(void)
{
    static const struct { const char *in, *want; } c[] = {
        /* WordPress */
        { "SELECT option_value FROM wp_options WHERE option_name = 'siteurl' LIMIT 1",
          "SELECT option_value FROM wp_options WHERE option_name = ? LIMIT ?" },
        { "SELECT * FROM wp_postmeta WHERE post_id IN (1,2,3)",
          "SELECT * FROM wp_postmeta WHERE post_id IN (...)" },
        { "INSERT INTO `wp_options` (`option_name`, `option_value`, `autoload`) VALUES "
          "('_transient_x', 'a:1:{i:0;s:3:\"abc\";}', 'no'),('b','c','yes')",
          "INSERT INTO `wp_options`(`option_name`, `option_value`, `autoload`) VALUES (...)" },
        { "UPDATE wp_posts SET post_title = 'It''s a \\'test\\' \\\\', post_status = \"dr\\\"aft\" "
          "WHERE ID = 42",
          "UPDATE wp_posts SET post_title = ?, post_status = ? WHERE ID = ?" },
        { "SELECT SQL_CALC_FOUND_ROWS wp_posts.ID FROM wp_posts WHERE 1=1 AND "
          "((wp_posts.post_status = 'publish')) ORDER BY wp_posts.post_date DESC LIMIT 0, 10",
          "SELECT SQL_CALC_FOUND_ROWS wp_posts.ID FROM wp_posts WHERE ? = ? AND "
          "((wp_posts.post_status = ?)) ORDER BY wp_posts.post_date DESC LIMIT ?, ?" },
        { "INSERT INTO wp_options (option_name) VALUES ('x') ON DUPLICATE KEY UPDATE "
          "option_name = VALUES(option_name)",
          "INSERT INTO wp_options(option_name) VALUES (...) ON DUPLICATE KEY UPDATE "
          "option_name = VALUES (option_name)" },
        /* comments */
        { "SELECT a -- the a\nFROM t # mysql's\nWHERE /* inline 'x' */ b = 2",
          "SELECT a FROM t WHERE b = ?" },
        { "SELECT /*+ MAX_EXECUTION_TIME(1000) */ a FROM t", "SELECT a FROM t" },
        { "SELECT a /* never closed 'x'", "SELECT a" },
        { "SELECT a -- to the end", "SELECT a" },
        /* literals of every kind */
        { "SELECT 0xFF, X'0a', x'0B', 0b101, B'1', b'0' FROM t", "SELECT ?, ?, ?, ?, ?, ? FROM t" },
        { "SELECT 1.5, .5, 1e5, 1.5E-3, 3., 7 FROM dual", "SELECT ?, ?, ?, ?, ?, ? FROM dual" },
        { "SELECT _utf8mb4'abc', N'xyz', E'a\\'b', _binary'\\0' FROM t",
          "SELECT ?, ?, ?, ? FROM t" },
        { "SELECT \"a\"\"b\", '', 'c' 'd'", "SELECT ?, ?, ? ?" },
        { "SELECT * FROM t WHERE a = 'never closed", "SELECT * FROM t WHERE a = ?" },
        { "SELECT 'h\xc3\xa9llo', caf\xc3\xa9 FROM t", "SELECT ?, caf\xc3\xa9 FROM t" },
        /* signs: a number's, or a minus */
        { "SELECT * FROM t WHERE a = -5 AND b IN (-1, +2) AND c > - 3.5 AND d BETWEEN -1 AND -.5",
          "SELECT * FROM t WHERE a = ? AND b IN (...) AND c > ? AND d BETWEEN ? AND ?" },
        { "SELECT a-1, a - 1, (-a), -7 FROM t", "SELECT a - ?, a - ?, (- a), ? FROM t" },
        { "SELECT * FROM t WHERE a<>'x' AND b<=3 AND c!=-4", "SELECT * FROM t WHERE a <> ? AND b <= ? AND c != ?" },
        /* names */
        { "SELECT t1.col3 FROM wp_2_posts t1 WHERE t1.ID=7", "SELECT t1.col3 FROM wp_2_posts t1 WHERE t1.ID = ?" },
        { "SELECT `select`, `we``ird 1` FROM `wp_options` WHERE `option_id`=3",
          "SELECT `select`, `we``ird 1` FROM `wp_options` WHERE `option_id` = ?" },
        { "SELECT COUNT( * ) , MAX(id), t.* FROM t", "SELECT COUNT(*), MAX(id), t.* FROM t" },
        { "SET @a := 5, @@session.sql_mode = 'x'", "SET @a := ?, @@session.sql_mode = ?" },
        { "SELECT doc->>'$.name', doc->'$.a' FROM t", "SELECT doc ->> ?, doc -> ? FROM t" },
        { "SELECT a FROM t WHERE x IS NULL AND y = TRUE", "SELECT a FROM t WHERE x IS NULL AND y = TRUE" },
        /* placeholders, PostgreSQL */
        { "UPDATE t SET a = ?, b = ? WHERE c IN (?, ?, ?)", "UPDATE t SET a = ?, b = ? WHERE c IN (...)" },
        { "SELECT * FROM t WHERE a = :id AND b IN (:x, :y)", "SELECT * FROM t WHERE a = ? AND b IN (...)" },
        { "SELECT * FROM users WHERE id = $1 AND name = $12", "SELECT * FROM users WHERE id = ? AND name = ?" },
        { "SELECT $$it's a $1$$, $fn$ body $$ here $fn$ FROM t", "SELECT ?, ? FROM t" },
        { "SELECT '2024-01-01'::date, $1::int, x :: text FROM t", "SELECT ?::date, ?::int, x::text FROM t" },
        { "SELECT ARRAY[1,2], arr [3] FROM t", "SELECT ARRAY[?, ?], arr[?] FROM t" },
        { "SELECT $body$ never closed", "SELECT ?" },
        /* lists */
        { "SELECT * FROM t WHERE id IN (SELECT post_id FROM m WHERE k IN (1, 2))",
          "SELECT * FROM t WHERE id IN (SELECT post_id FROM m WHERE k IN (...))" },
        { "select * from t where id in(1, 2)", "select * from t where id in (...)" },
        { "insert into t values (1),(2)", "insert into t values (...)" },
        { "INSERT INTO t (a, b) VALUES (1, NOW()), (2, NOW())",
          "INSERT INTO t(a, b) VALUES (?, NOW()), (?, NOW())" },
        { "INSERT INTO t VALUES (1, 2), (3, NOW())", "INSERT INTO t VALUES (...), (?, NOW())" },
        { "SELECT * FROM t WHERE a IN () OR b IN (1, c) OR d IN (1,)",
          "SELECT * FROM t WHERE a IN () OR b IN (?, c) OR d IN (?,)" },
        /* statements, ; */
        { "SELECT 1;", "SELECT ?" },
        { "SET NAMES 'utf8mb4'; SELECT 1;; ", "SET NAMES ?; SELECT ?" },
        { "  SELECT\ta\r\n,\tb\n\nFROM   t  ", "SELECT a, b FROM t" },
        { "CALL proc(1, 'a')", "CALL proc(?, ?)" },
        { "WITH x AS (SELECT 1) SELECT * FROM x", "WITH x AS (SELECT ?) SELECT * FROM x" },
        { "", "" },
        { " -- nothing\n /* at all */ ", "" },
    };
    unsigned i, f, fails = 0;
    char again[PHPBPF_SQL_TEXT];

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *got = norm(c[i].in, &f);

        ok(strcmp(got, c[i].want) == 0 && f == 0, "sql: %s -> %s (got %s)", shown(c[i].in), c[i].want,
           got);
        /* The canonical form is a fixed point: normalised twice is once. */
        phpbpf_sql_normalize(c[i].want, strlen(c[i].want), 0, again, sizeof(again));
        if (strcmp(again, c[i].want) != 0)
            fails++;
    }
    ok(fails == 0, "every expected text normalises to itself (%u differ)", fails);
}

/* Each group: one statement typed or filled in different ways, one text. */
static void test_same(void)
{
    static const char *const g[][4] = {
        { "SELECT  a ,b FROM t WHERE x=1", "SELECT a, b FROM t WHERE x = 2",
          "SELECT a,b FROM t WHERE x='two'", "SELECT\na\n,\nb\nFROM t\nWHERE x = -2.5e3 -- c" },
        { "SELECT * FROM t WHERE id IN (1)", "SELECT * FROM t WHERE id IN (1, 2, 3)",
          "SELECT * FROM t WHERE id IN('a','b')", "SELECT * FROM t WHERE id IN ( ?,? )" },
        { "INSERT INTO t (a) VALUES (1)", "INSERT INTO t(a) VALUES (1), (2), (3)",
          "INSERT INTO t (a) VALUES ('x'),('y');", "INSERT INTO t ( a ) VALUES ( :a )" },
        { "SELECT COUNT(*) FROM t", "SELECT COUNT (*) FROM t", "SELECT COUNT( * ) FROM t",
          "SELECT /* n */ COUNT(*)\tFROM t;" },
        { "SELECT x::int FROM t WHERE y = $1", "SELECT x :: int FROM t WHERE y = $2",
          "SELECT x::int FROM t WHERE y=$$v$$", "SELECT x ::int FROM t WHERE y = E'v'" },
        { "UPDATE t SET a = -1 WHERE b = +2", "UPDATE t SET a = - 1 WHERE b = 2",
          "UPDATE t SET a=1 WHERE b=0x2", "UPDATE t SET a = 'x' WHERE b = .2" },
    };
    char first[PHPBPF_SQL_TEXT], other[PHPBPF_SQL_TEXT];
    unsigned i, k;

    for (i = 0; i < sizeof(g) / sizeof(g[0]); i++) {
        int same = 1;

        phpbpf_sql_normalize(g[i][0], strlen(g[i][0]), 0, first, sizeof(first));
        for (k = 1; k < 4; k++) {
            phpbpf_sql_normalize(g[i][k], strlen(g[i][k]), 0, other, sizeof(other));
            same &= strcmp(first, other) == 0;
        }
        ok(same, "4 ways to write %s: one text", first);
        if (!same)
            printf("# %s\n# %s\n", first, other);
    }
    ok(strcmp(norm("SELECT a FROM t", NULL), "SELECT a FROM t") == 0
       && strcmp(norm("select a from t", NULL), "select a from t") == 0,
       "case stays as written: different case, different text");
}

/* The keywords an expression follows, in any case: a ( after one is
 * spaced (not a call), a sign after one is a number's; a name is neither. */
static void test_keywords(void)
{
    static const char *const kw[] = {
        "ALL", "and", "Any", "AS", "BETWEEN", "BY", "CASE", "DISTINCT", "DIV", "ELSE", "EXISTS",
        "FROM", "HAVING", "IN", "INTERVAL", "INTO", "IS", "JOIN", "LIKE", "LIMIT", "MOD", "NOT",
        "OFFSET", "ON", "or", "OVER", "REGEXP", "RETURN", "select", "SET", "SOME", "THEN", "UNION",
        "USING", "VALUE", "VALUES", "WHEN", "WHERE", "XOR",
    };
    static const char *const names[] = { "f", "COUNT", "wp_posts", "col1", "SELECTS", "INTERVALS" };
    char in[64], want[64], out[PHPBPF_SQL_TEXT];
    unsigned i, bad = 0;

    for (i = 0; i < sizeof(kw) / sizeof(kw[0]); i++) {
        snprintf(in, sizeof(in), "x %s(a) %s -1", kw[i], kw[i]);
        snprintf(want, sizeof(want), "x %s (a) %s ?", kw[i], kw[i]);
        phpbpf_sql_normalize(in, strlen(in), 0, out, sizeof(out));
        if (strcmp(out, want) != 0)
            printf("# %s: %s\n", in, out);
        bad += strcmp(out, want) != 0;
    }
    ok(bad == 0, "%u keywords: ( after one spaced, a sign after one a number's",
       (unsigned)(sizeof(kw) / sizeof(kw[0])));
    for (bad = i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        snprintf(in, sizeof(in), "x %s(a) %s -1", names[i], names[i]);
        snprintf(want, sizeof(want), "x %s(a) %s - ?", names[i], names[i]);
        phpbpf_sql_normalize(in, strlen(in), 0, out, sizeof(out));
        bad += strcmp(out, want) != 0;
    }
    ok(bad == 0, "names: a call's ( unspaced, a minus after one");
}

/* A secret in every place a value can be, and in every cut of the output:
 * never a byte of it. */
static void test_secret(void)
{
    static const char *const c[] = {
        "SELECT * FROM wp_users WHERE user_pass = 's3cr3t-XYZ'",
        "SELECT * FROM u WHERE p = \"s3cr3t-XYZ\" AND q = N's3cr3t-XYZ'",
        "SELECT * FROM u WHERE p = _utf8mb4's3cr3t-XYZ' OR p = E's3cr3t-XYZ'",
        "SELECT * FROM u WHERE p = 'it''s \\' s3cr3t-XYZ'",
        "SELECT * FROM u WHERE p = $$s3cr3t-XYZ$$ OR p = $q$ s3cr3t-XYZ $q$",
        "SELECT * FROM u WHERE p IN ('a', 's3cr3t-XYZ') -- s3cr3t-XYZ",
        "SELECT * FROM u /* s3cr3t-XYZ */ WHERE p = 1 # s3cr3t-XYZ",
        "INSERT INTO u VALUES ('a', 's3cr3t-XYZ'), ('s3cr3t-XYZ', NOW())",
        "SELECT * FROM u WHERE p = 's3cr3t-XYZ",
        "SELECT * FROM u WHERE p = \"s3cr3t-XYZ",
        "SELECT * FROM u WHERE p = $x$s3cr3t-XYZ",
        "SELECT * FROM u WHERE p = /* s3cr3t-XYZ",
        "SELECT * FROM u WHERE p = `s3cr3t-XYZ",
        "SELECT * FROM u WHERE n = 4111111111111111 OR n = -4111111111111111.5e3 OR n = 0x4111111111",
    };
    char out[PHPBPF_SQL_TEXT];
    unsigned i, leaks = 0;
    size_t sz;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++)
        for (sz = 16; sz <= sizeof(out); sz++) {
            phpbpf_sql_normalize(c[i], strlen(c[i]), 0, out, sz);
            leaks += strstr(out, "s3cr3t") || strstr(out, "XYZ") || strstr(out, "4111");
        }
    ok(leaks == 0, "a secret in %u kinds of literal, comment and unclosed quote, any output size: "
       "never in the text (%u leaks)", (unsigned)(sizeof(c) / sizeof(c[0])), leaks);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Builds n bytes of head then body repeated (and a NUL) in a fresh buffer. */
static char *repeat(const char *head, const char *body, size_t n)
{
    char *s = malloc(n + 1);
    size_t len = strlen(head), bl = strlen(body);

    memcpy(s, head, len);
    while (len + bl <= n) {
        memcpy(s + len, body, bl);
        len += bl;
    }
    s[len] = '\0';
    return s;
}

static void test_long(void)
{
    char out[PHPBPF_SQL_TEXT], *full = malloc(1 << 20);
    char *ors = repeat("SELECT a FROM t WHERE x = 1", " OR x = 'v'", 100000);
    char *vals = repeat("INSERT INTO t (a, b) VALUES (1, 'x')", ", (2, 'y')", 100000);
    char *ins = repeat("SELECT * FROM t WHERE id IN (1", ", 2", 100000);
    size_t len = strlen(ors);
    unsigned f, k;
    double t0, t;

    f = phpbpf_sql_normalize(ors, len, 0, out, sizeof(out));
    ok(f == PHPBPF_SQL_TRUNCATED && strlen(out) < sizeof(out) && strlen(out) > sizeof(out) - 16,
       "a 100 KB statement: cut to %zu bytes, flagged truncated", strlen(out));
    phpbpf_sql_normalize(ors, len, 0, full, 1 << 20);
    ok(strncmp(full, out, strlen(out)) == 0 && full[strlen(out)] == ' ',
       "cut between two tokens of the whole text");
    /* Timed on whole passes: the cut one stops reading where it cuts. */
    t0 = now();
    for (k = 0; k < 10; k++) {
        phpbpf_sql_normalize(ors, len, 0, full, 1 << 20);
        phpbpf_sql_normalize(vals, strlen(vals), 0, out, sizeof(out));
    }
    t = (now() - t0) / 20;
    ok(t < 0.05, "100 KB read whole in %.2f ms (linear: a quadratic pass would take seconds)",
       t * 1e3);
    f = phpbpf_sql_normalize(vals, strlen(vals), 0, out, sizeof(out));
    ok(f == 0 && strcmp(out, "INSERT INTO t(a, b) VALUES (...)") == 0,
       "100 KB of VALUES rows fold whole, not cut: %s", out);
    f = phpbpf_sql_normalize(ins, strlen(ins), 1, out, sizeof(out));
    ok(f == PHPBPF_SQL_TRUNCATED && strcmp(out, "SELECT * FROM t WHERE id IN (...") == 0,
       "an IN list the input was cut in folds as far as it goes: %s", out);
    free(ors);
    free(vals);
    free(ins);
    free(full);
}

/* A whole UTF-8 character at the end: no lead byte without all of its
 * continuation bytes. */
static int utf8_whole(const char *s)
{
    size_t n = strlen(s), k = n, need;

    while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80 && n - k < 3)
        k--;
    if (k == 0 || (unsigned char)s[k - 1] < 0x80)
        return k == n;
    need = (unsigned char)s[k - 1] >= 0xf0 ? 3 : (unsigned char)s[k - 1] >= 0xe0 ? 2 : 1;
    return n - k == need;
}

static void test_truncation(void)
{
    static const char sql[] = "SELECT \xc3\xa9t\xc3\xa9, \xe2\x82\xac\xe2\x82\xac, "
                              "\xf0\x9f\x98\x80x, caf\xc3\xa9 FROM \xe6\x97\xa5\xe6\x9c\xac "
                              "WHERE \xc3\xa9t\xc3\xa9 = 'x'; SELECT 1;";
    char out[64], canary[PHPBPF_SQL_TEXT + 8];
    unsigned f, bad = 0;
    size_t sz;

    f = phpbpf_sql_normalize("SELECT 1", 8, 1, out, sizeof(out));
    ok(f == PHPBPF_SQL_TRUNCATED && strcmp(out, "SELECT ?") == 0,
       "input cut short: flagged truncated though the text fits");
    f = phpbpf_sql_normalize("SELECT 1", 8, 0, out, sizeof(out));
    ok(f == 0, "a whole statement that fits: no flag");
    for (sz = 16; sz <= sizeof(out); sz++) {
        f = phpbpf_sql_normalize(sql, sizeof(sql) - 1, 0, out, sz);
        if (strlen(out) >= sz || !utf8_whole(out) || (sz < 62 && f != PHPBPF_SQL_TRUNCATED)
            || (strlen(out) && (out[strlen(out) - 1] == ' ' || out[strlen(out) - 1] == ';')))
            bad++;
    }
    ok(bad == 0, "UTF-8 names cut at every size 16..64: whole characters, flagged, "
       "no trailing space or ; (%u bad)", bad);
    memset(canary, 'Z', sizeof(canary));
    f = phpbpf_sql_normalize("SELECT a, b, c FROM t WHERE d = 1", 33, 0, canary, 16);
    ok(f == PHPBPF_SQL_TRUNCATED && strcmp(canary, "SELECT a, b, c") == 0 && canary[16] == 'Z',
       "a 16-byte output: %s, nothing written past it", canary);
    f = phpbpf_sql_normalize("SELECT\0a\0FROM\0t", 15, 0, out, sizeof(out));
    ok(strcmp(out, "SELECT a FROM t") == 0, "NULs in the input are spaces: %s", out);
    f = phpbpf_sql_normalize("SELECT `a\nb\0c` FROM t", 21, 0, out, sizeof(out));
    ok(strcmp(out, "SELECT `a b c` FROM t") == 0, "control bytes in a `name` print as spaces: %s", out);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static unsigned next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng >> 32);
}

/* Random bytes, half of them from SQL's punctuation so every branch is
 * taken: within bounds, terminated, one line, whatever comes. */
static void test_random(void)
{
    static const char sql[] = "'\"`$?:;,.()[]-+#/*=<>!\\ \n0123456789xXbBeENn_@aZ";
    char out[PHPBPF_SQL_TEXT + 16];
    unsigned i, bad = 0;

    for (i = 0; i < 10000; i++) {
        size_t len = next() % 601, sz = 16 + next() % (PHPBPF_SQL_TEXT - 15), k;
        char *in = malloc(len ? len : 1);  /* exactly len: a read past it is ASan's */

        for (k = 0; k < len; k++) {
            unsigned r = next();

            in[k] = r & 1 ? sql[(r >> 8) % (sizeof(sql) - 1)] : (char)(r >> 8);
        }
        memset(out, 'Z', sizeof(out));
        phpbpf_sql_normalize(in, len, 0, out, sz);
        if (memchr(out, '\0', sz) == NULL || out[sz] != 'Z')
            bad++;
        else
            for (k = 0; out[k]; k++)
                bad += (unsigned char)out[k] < ' ' || out[k] == 0x7f;
        free(in);
    }
    ok(bad == 0, "10000 random inputs of up to 600 bytes: text within its size, terminated, "
       "no control byte (%u bad)", bad);
}

static void test_verb(void)
{
    static const struct { const char *norm; size_t sz; const char *want; } c[] = {
        { "SELECT a FROM t", 16, "SELECT" },
        { "select a from t", 16, "SELECT" },
        { "insert into t values (...)", 16, "INSERT" },
        { "UPDATE t SET a = ?", 16, "UPDATE" },
        { "DELETE FROM t", 16, "DELETE" },
        { "SET NAMES ?", 16, "SET" },
        { "BEGIN", 16, "BEGIN" },
        { "CALL proc(?)", 16, "CALL" },
        { "WITH x AS (SELECT ?) SELECT * FROM x", 16, "WITH" },
        { "((SELECT a) UNION (SELECT b))", 16, "SELECT" },
        { "", 16, "" },
        { "? = ?", 16, "" },
        { "`t`", 16, "" },
        { "t1 x", 16, "" },
        { "SELECT a", 7, "SELECT" },
        { "SELECT a", 6, "" },
    };
    char kw[16];
    unsigned i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        memset(kw, 'Z', sizeof(kw));
        phpbpf_sql_verb(c[i].norm, kw, c[i].sz);
        ok(strcmp(kw, c[i].want) == 0, "verb of \"%s\" (%zu bytes): \"%s\" (got \"%s\")", c[i].norm,
           c[i].sz, c[i].want, kw);
    }
}

/* PostgreSQL's rules (PHPBPF_SQL_PG): a backslash ends no string but in
 * E'..', so a value ending in one would otherwise leak what follows;
 * "..." is a name. */
static void test_pg(void)
{
    static const struct { const char *in, *want; } c[] = {
        { "SELECT * FROM t WHERE p = 'C:\\' AND pw = 'hunter2'", "SELECT * FROM t WHERE p = ? AND pw = ?" },
        { "SELECT \"Name\" FROM \"My Table\" WHERE id = $1", "SELECT \"Name\" FROM \"My Table\" WHERE id = ?" },
        { "SELECT E'it\\'s' , 'x'", "SELECT ?, ?" },
        { "SELECT 'a''b' FROM t", "SELECT ? FROM t" },
        { "INSERT INTO t VALUES ($1, $2), ($3, $4)", "INSERT INTO t VALUES (...)" },
    };
    char out[PHPBPF_SQL_TEXT];
    size_t i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        phpbpf_sql_normalize(c[i].in, strlen(c[i].in), PHPBPF_SQL_PG, out, sizeof(out));
        ok(strcmp(out, c[i].want) == 0, "PostgreSQL: %s -> %s (got %s)", shown(c[i].in), c[i].want, out);
    }
    phpbpf_sql_normalize(c[0].in, strlen(c[0].in), PHPBPF_SQL_PG, out, sizeof(out));
    ok(!strstr(out, "hunter2"), "PostgreSQL: a value ending in a backslash leaks nothing after it");
}

void sqlnorm_tests(void)
{
    test_pg();
    test_cases();
    test_same();
    test_keywords();
    test_secret();
    test_long();
    test_truncation();
    test_random();
    test_verb();
}
