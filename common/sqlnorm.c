/* The SQL normaliser (sqlnorm.h): one pass over the bytes, each token
 * written as it is read, but for a list of values, held back until its )
 * says whether it folds.  Nothing here needs valid SQL: whatever the
 * bytes, each token is a word, a value, punctuation or an operator, and a
 * value is only ever written as ?.
 *
 * One reading for every server, so where dialects differ it is MySQL's
 * (the brief of a digest is that no value survives, not to parse): a
 * backslash escapes in any string, # starts a comment, and -- does even
 * without the space MySQL wants after it. */
#include <string.h>

#include "sqlnorm.h"

/* What a token is, for the spacing between two (spaced()) and to tell a
 * number's sign from a minus. */
enum { T_NONE, T_WORD, T_KW, T_VALUE, T_OPEN, T_CLOSE, T_COMMA, T_SEMI, T_DOT, T_CAST, T_OP };

/* After these a + or - is a sign: no operand comes before it. */
#define SIGN_AFTER (1u << T_NONE | 1u << T_KW | 1u << T_OPEN | 1u << T_COMMA | 1u << T_SEMI \
                    | 1u << T_OP)

/* Folding a list: after IN or VALUES (L_KW), inside its ( expecting a
 * value (L_ITEM) or a , or ) (L_SEP); after a row of VALUES, maybe a ,
 * (L_MORE) then another row's ( (L_NEXT). */
enum { L_NONE, L_KW, L_ITEM, L_SEP, L_MORE, L_NEXT };

/* Keywords an expression follows: a sign after one is a number's, and a
 * ( after one opens a list or a subquery, not a call's arguments.  By
 * length, each followed by a space, so a word is matched in a few memcmp. */
static const char *const keywords[9] = {
    "", "", "AS BY IN IS ON OR ", "ALL AND ANY DIV MOD NOT SET XOR ",
    "CASE ELSE FROM INTO JOIN LIKE OVER SOME THEN WHEN ", "LIMIT UNION USING VALUE WHERE ",
    "EXISTS HAVING OFFSET REGEXP RETURN SELECT VALUES ", "BETWEEN ", "DISTINCT INTERVAL ",
};
enum { K_NO, K_KW, K_IN, K_VALUES };

struct norm {
    char *out;
    size_t len, size;
    unsigned flags;
    int prev;           /* the last token written */
    int last;           /* the last token read, held back or not */
    int semi;           /* a ; held back: a trailing one is dropped */
    int full;
    int list, values, more;
    size_t n;           /* values held back in the current row */
};

static int is_digit(unsigned c) { return c >= '0' && c <= '9'; }
static int is_alpha(unsigned c) { return (c | 0x20) >= 'a' && (c | 0x20) <= 'z'; }
static int is_hex(unsigned c) { return is_digit(c) || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f'); }
static int is_space(unsigned c) { return c <= ' ' || c == 0x7f; }

/* A name's bytes: UTF-8 ones (or invalid ones) too, as MySQL allows. */
static int is_word(unsigned c)
{
    return is_alpha(c) || is_digit(c) || c == '_' || c == '$' || c >= 0x80;
}

static int keyword(const unsigned char *t, size_t len)
{
    char up[8];
    const char *k;
    size_t i;

    if (len > 8)
        return K_NO;
    for (i = 0; i < len; i++) {
        if (!is_alpha(t[i]))
            return K_NO;
        up[i] = (char)(t[i] & ~0x20);   /* ASCII only: no locale in a digest */
    }
    for (k = keywords[len]; *k; k += len + 1)
        if (!memcmp(k, up, len))
            return len == 2 && !memcmp(up, "IN", 2) ? K_IN
                   : (len == 5 || len == 6) && !memcmp(up, "VALUES", len) ? K_VALUES : K_KW;
    return K_NO;
}

/* The canonical form's spacing (sqlnorm.h), from the two tokens alone:
 * the input's layout plays no part. */
static int spaced(int prev, int cls, unsigned char c)
{
    if (prev == T_NONE || prev == T_OPEN || prev == T_DOT || prev == T_CAST)
        return 0;
    if (cls == T_CLOSE || cls == T_COMMA || cls == T_SEMI || cls == T_DOT || cls == T_CAST)
        return 0;
    return !(cls == T_OPEN && (prev == T_WORD || c == '['));
}

/* A whole token or nothing (with the ; held back before it): a cut never
 * splits one, so never a UTF-8 sequence, and never leaves a ; last.
 * Control bytes (only a `name` holds any) print as spaces: the text is
 * one line, with no NUL inside. */
static void emit(struct norm *st, int cls, const char *t, size_t len)
{
    size_t sp, k;

    if (cls == T_SEMI) {
        st->semi = 1;
        return;
    }
    if (st->semi)
        st->prev = T_SEMI;
    sp = (size_t)spaced(st->prev, cls, (unsigned char)t[0]);
    if (st->full || st->len + (size_t)st->semi + sp + len >= st->size) {
        st->full = 1;
        st->flags |= PHPBPF_SQL_TRUNCATED;
        return;
    }
    if (st->semi)
        st->out[st->len++] = ';';
    if (sp)
        st->out[st->len++] = ' ';
    for (k = 0; k < len; k++)
        st->out[st->len++] = is_space((unsigned char)t[k]) ? ' ' : t[k];
    st->semi = 0;
    st->prev = cls;
}

/* A list that turned out not to fold (a name or an expression in it):
 * what was held back, as it would have been written. */
static void unfold(struct norm *st)
{
    size_t k;

    if (st->list == L_ITEM || st->list == L_SEP) {
        if (st->more)
            emit(st, T_COMMA, ",", 1);
        emit(st, T_OPEN, "(", 1);
        for (k = 0; k < st->n && !st->full; k++) {
            if (k)
                emit(st, T_COMMA, ",", 1);
            emit(st, T_VALUE, "?", 1);
        }
        if (st->list == L_ITEM && st->n)
            emit(st, T_COMMA, ",", 1);
    }
    else if (st->list == L_NEXT)
        emit(st, T_COMMA, ",", 1);
    st->list = L_NONE;
}

/* Every token read comes here.  A list of values is held back a row at a
 * time until its ) says it folds, so thousands of values never fill the
 * output; VALUES' further rows fold into the first's (...). */
static void take(struct norm *st, int cls, const char *t, size_t len, int kw)
{
    int l = st->list;

    st->last = cls;
    if ((l == L_KW || l == L_NEXT) && cls == T_OPEN && *t == '(') {
        st->more = l == L_NEXT;
        st->list = L_ITEM;
        st->n = 0;
        return;
    }
    if ((l == L_ITEM && cls == T_VALUE) || ((l == L_SEP || l == L_MORE) && cls == T_COMMA)) {
        st->n += l == L_ITEM;
        st->list = l == L_ITEM ? L_SEP : l == L_SEP ? L_ITEM : L_NEXT;
        return;
    }
    if (l == L_SEP && cls == T_CLOSE && *t == ')') {
        if (!st->more) {
            emit(st, T_OPEN, "(", 1);
            emit(st, T_VALUE, "...", 3);
            emit(st, T_CLOSE, ")", 1);
        }
        st->list = st->values ? L_MORE : L_NONE;
        return;
    }
    unfold(st);
    emit(st, cls, t, len);
    if (kw == K_IN || kw == K_VALUES) {
        st->list = L_KW;
        st->values = kw == K_VALUES;
    }
}

/* Past a run quoted by q, from just after its opening q: a doubled q and,
 * with bs, a backslash escape stay inside.  *open: the input ended
 * first. */
static size_t quoted_end(const unsigned char *s, size_t i, size_t n, unsigned q, int bs, int *open)
{
    while (i < n) {
        if (s[i] == '\\' && bs)
            i += 2;
        else if (s[i] != q)
            i++;
        else if (i + 1 < n && s[i + 1] == q)
            i += 2;
        else
            return i + 1;
    }
    *open = 1;
    return n;
}

/* The end of the number at i (0xFF, 0b101, 12, 1.5, .5, 3., 1e5, 1.5E-3),
 * or 0 if none starts there: digits a letter follows are a name's, as
 * MySQL allows (1st_table). */
static size_t number_at(const unsigned char *s, size_t i, size_t n)
{
    size_t j = i, k;
    int plain = 1;

    if (!is_digit(s[i]) && !(s[i] == '.' && i + 1 < n && is_digit(s[i + 1])))
        return 0;
    if (s[i] == '0' && i + 2 < n && ((s[i + 1] | 0x20) == 'x' || (s[i + 1] | 0x20) == 'b')) {
        int hex = (s[i + 1] | 0x20) == 'x';

        for (j = i + 2; j < n && (hex ? is_hex(s[j]) : s[j] == '0' || s[j] == '1'); j++)
            ;
        j = j > i + 2 ? j : i;      /* 0x alone: a 0, then a name */
    }
    if (j == i) {
        while (j < n && is_digit(s[j]))
            j++;
        if (j < n && s[j] == '.')
            for (plain = 0, j++; j < n && is_digit(s[j]); j++)
                ;
        k = j + 1 + (j + 1 < n && (s[j + 1] == '+' || s[j + 1] == '-'));
        if (j < n && (s[j] | 0x20) == 'e' && k < n && is_digit(s[k]))
            for (plain = 0, j = k; j < n && is_digit(s[j]); j++)
                ;
    }
    return plain && j < n && is_word(s[j]) ? 0 : j;
}

/* A PostgreSQL dollar quote opening at i ($$ or $tag$, a tag of at most 64
 * bytes so the search for its end stays linear): its length, or 0. */
static size_t dollar_tag(const unsigned char *s, size_t i, size_t n)
{
    size_t j = i + 1;

    if (j < n && (is_alpha(s[j]) || s[j] == '_'))
        while (j < n && j - i <= 64 && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_'))
            j++;
    return j < n && s[j] == '$' ? j + 1 - i : 0;
}

unsigned phpbpf_sql_normalize(const char *in, size_t inlen, int how, char *out, size_t outsz)
{
    static const char ops[] = "=<>!|&^~%*/", punct[] = "()[],;.";
    static const int punct_cls[] = { T_OPEN, T_CLOSE, T_OPEN, T_CLOSE, T_COMMA, T_SEMI, T_DOT };
    const unsigned char *s = (const unsigned char *)in;
    struct norm st;
    size_t i = 0, j, m;
    int open = 0, pg = (how & PHPBPF_SQL_PG) != 0;

    memset(&st, 0, sizeof(st));
    st.out = out;
    st.size = outsz;
    st.flags = how & PHPBPF_SQL_TRUNCATED;
    if (!outsz)
        return PHPBPF_SQL_TRUNCATED;
    while (i < inlen && !st.full && !open) {
        unsigned c = s[i], d = i + 1 < inlen ? s[i + 1] : 0;
        int cls = T_VALUE, kw = K_NO;
        const char *p;

        if (is_space(c)) {
            i++;
            continue;
        }
        if ((c == '-' && d == '-') || c == '#') {
            while (i < inlen && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '/' && d == '*') {
            for (i += 2; i < inlen && !(s[i] == '*' && i + 1 < inlen && s[i + 1] == '/'); i++)
                ;
            open = i >= inlen;
            i += 2;
            continue;
        }
        /* A number's sign goes with it: "= -5" and "= - 5" are "= ?". */
        if ((c == '+' || c == '-') && (SIGN_AFTER & 1u << st.last)) {
            for (j = i + 1; j < inlen && is_space(s[j]); j++)
                ;
            if (j < inlen && number_at(s, j, inlen)) {
                i = j;
                continue;
            }
        }
        /* MySQL's strings take backslash escapes; PostgreSQL's do not
         * (but E'..'), and its "..." is a name, as MySQL's `..`. */
        if (c == '\'' || (c == '"' && !pg))
            j = quoted_end(s, i + 1, inlen, c, !pg, &open);
        else if (c == '`' || c == '"') {
            j = quoted_end(s, i + 1, inlen, c, 0, &open);
            cls = T_WORD;
            if (open)
                break;      /* cut short, it might hold anything that followed */
        }
        else if ((c != '.' || st.last != T_WORD) && (j = number_at(s, i, inlen)) != 0)
            cls = T_VALUE;
        else if (c == '$' && is_digit(d)) {
            for (j = i + 1; j < inlen && is_digit(s[j]); j++)
                ;
        }
        else if (c == '$' && (m = dollar_tag(s, i, inlen)) != 0) {
            for (j = i + m; j + m <= inlen && (s[j] != '$' || memcmp(s + j, s + i, m)); j++)
                ;
            open = j + m > inlen;
            j = open ? inlen : j + m;
        }
        else if (is_word(c) || c == '@') {
            for (j = i; j < inlen && s[j] == '@'; j++)
                ;
            while (j < inlen && is_word(s[j]))
                j++;
            /* N'..', X'..', B'..', E'..', _utf8mb4'..': the prefix goes
             * with its string, or an X'..' would differ from a '..'. */
            if (j < inlen && s[j] == '\''
                && ((j - i == 1 && strchr("NnXxBbEe", (int)c)) || c == '_'))
                j = quoted_end(s, j + 1, inlen, '\'', !pg || c == 'E' || c == 'e', &open);
            else
                cls = (kw = keyword(s + i, j - i)) != K_NO ? T_KW : T_WORD;
        }
        else if (c == '?')
            j = i + 1;
        else if (c == ':' && (is_alpha(d) || d == '_')) {
            for (j = i + 1; j < inlen && (is_alpha(s[j]) || is_digit(s[j]) || s[j] == '_'); j++)
                ;
        }
        else if (c == ':' || (c == '-' && d == '>')) {
            /* ::int and := and :, -> and ->> */
            j = i + 1 + (c == '-' || d == ':' || d == '=');
            j += c == '-' && j < inlen && s[j] == '>';
            cls = c == ':' && d == ':' ? T_CAST : T_OP;
        }
        else if (strchr(ops, (int)c)) {
            for (j = i + 1; j < inlen && s[j] && strchr(ops, (int)s[j])
                            && !(s[j] == '/' && j + 1 < inlen && s[j + 1] == '*'); j++)
                ;
            cls = T_OP;
        }
        else {
            j = i + 1;
            p = strchr(punct, (int)c);
            cls = p ? punct_cls[p - punct] : T_OP;
        }
        take(&st, cls, cls == T_VALUE ? "?" : in + i, cls == T_VALUE ? 1 : j - i, kw);
        i = j;
    }
    /* A list the input ends in folds as far as it goes, "IN (..."; a
     * further row of VALUES cut short is in the "(...)" before it. */
    if (st.list == L_NEXT || st.more)
        st.list = L_NONE;
    else if ((st.list == L_ITEM || st.list == L_SEP) && st.n) {
        emit(&st, T_OPEN, "(", 1);
        emit(&st, T_VALUE, "...", 3);
        st.list = L_NONE;
    }
    unfold(&st);
    out[st.len] = '\0';
    return st.flags;
}

void phpbpf_sql_verb(const char *norm, char *kw, size_t kwsz)
{
    size_t n, k;

    if (!kwsz)
        return;
    kw[0] = '\0';
    while (*norm == ' ' || *norm == '(')
        norm++;
    for (n = 0; is_alpha((unsigned char)norm[n]); n++)
        ;
    if (!n || n >= kwsz || is_word((unsigned char)norm[n]))
        return;
    for (k = 0; k < n; k++)
        kw[k] = (char)(norm[k] & ~0x20);
    kw[n] = '\0';
}
