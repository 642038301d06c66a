/* SQL statements as digests, in the spirit of MySQL's statement digests
 * and PostgreSQL's pg_stat_statements: every literal becomes ?, comments
 * and layout go, lists of values fold to (...), so one shape of statement
 * is one text whatever its values and however it was typed, and no value
 * (a password, an e-mail address) ever reaches a report.  Pure C.
 *
 * The canonical form: tokens separated by one space, except
 *   - none after ( [ . :: and none before ) ] , ; . ::
 *   - none between a name and its ( or [ (a call, "COUNT(*)", "t(a, b)",
 *     "arr[?]"), but one after a keyword ("IN (...)", "AND (", "AS (")
 *   - operators with one space each side ("x = ?", "a <> ?", "doc ->> ?")
 * Literals ('..', "..", N'..', X'..', B'..', E'..', _charset'..', $$..$$,
 * $tag$..$tag$, numbers with a sign that cannot be a minus), :name and $1
 * placeholders all print as ?; "IN (?, ?)" and "VALUES (?, ?), (?, ?)"
 * fold to "IN (...)" and "VALUES (...)".  Names and keywords keep their
 * case; `backquoted` names are kept verbatim; "double quoted" text is a
 * string, as MySQL reads it (in PostgreSQL, a name: it prints as ? too).
 * A trailing ; goes. */
#ifndef PHPBPF_SQLNORM_H
#define PHPBPF_SQLNORM_H

#include <stddef.h>

/* Max bytes of normalised text kept (including NUL). */
#define PHPBPF_SQL_TEXT 512

/* The input was cut, or the output did not fit. */
#define PHPBPF_SQL_TRUNCATED 1

/* How the input is read: it is only the first part of a longer statement
 * (the input bit of PHPBPF_SQL_TRUNCATED), and PostgreSQL's rules rather
 * than MySQL's: a backslash is a backslash but in E'..' (its
 * standard_conforming_strings, the default), and "..." is a name, not a
 * string. */
#define PHPBPF_SQL_PG 2

/* Normalises in[0..inlen) (NULs, invalid UTF-8, anything) into out: outsz
 * bytes, NUL-terminated always (outsz >= 16).  how: PHPBPF_SQL_TRUNCATED
 * and PHPBPF_SQL_PG, above.  What does not fit is cut
 * before the first token that does not, so no multi-byte character is
 * ever split.  An unterminated string or comment ends the statement (the
 * string still prints as ?).  O(inlen), no read past in + inlen.  Returns
 * PHPBPF_SQL_TRUNCATED if the input was cut or the output did not fit. */
unsigned phpbpf_sql_normalize(const char *in, size_t inlen, int how, char *out, size_t outsz);

/* The statement's first keyword, uppercased ("SELECT", "INSERT", "SET",
 * "BEGIN", "CALL", "WITH" ...), past any leading (, into kw (kwsz bytes);
 * "" if the text does not start with a word of letters that fits. */
void phpbpf_sql_verb(const char *norm, char *kw, size_t kwsz);

#endif
