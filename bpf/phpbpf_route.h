/* Routes: a request's path made into the name of what it does, one byte
 * at a time, the same code in BPF (php_routes.bpf.h, from a bpf_loop
 * callback) and in user space (the unit tests, the module's check of
 * PhpBpfRoute).  Pure C, no loops of its own: the caller feeds the bytes.
 *
 * The heuristic, per path segment:
 *   - made only of hex digits and - _ . : with at least one digit (numbers,
 *     hex and UUID ids, dates, versions): {id};
 *   - 20 bytes or more with digits and letters and no dash (tokens),
 *     longer than PHPBPF_ROUTE_SEG_MAX (a slug that names one page), or
 *     with an @ (an e-mail address): {id};
 *   - anything else is kept as it is (after Apache's own %-decoding).
 * At most PHPBPF_ROUTE_SEGS segments are kept; a path with more ends in a
 * segment "*" (so does one that does not fit).  Where the path is "/" or names a .php script (a front controller:
 * WordPress's /?p=1, /index.php?s=term), the names of its first
 * PHPBPF_ROUTE_PARAMS query parameters follow, never their values:
 * "/?s=", "/index.php?p=&preview=".  Only a name followed by '=' is one,
 * and not one that looks like an id or is longer than
 * PHPBPF_ROUTE_PARAM_MAX: "?1700000000", "?secret-token" and
 * "?/user/42/edit" are values, and are left out whole.
 *
 * An operator's PhpBpfRoute PATTERN is tried first: "/shop/{slug}/reviews"
 * ({anything} is one segment), "/api/v1/" and a last segment "*" (any further segments).  It is
 * matched on hashes of the first PHPBPF_ROUTE_PAT_SEGS segments, which
 * the normaliser computes on the way. */
#ifndef PHPBPF_ROUTE_H
#define PHPBPF_ROUTE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PHPBPF_ROUTE_LEN 96          /* a route's text, its NUL included */
#define PHPBPF_ROUTE_SEGS 5          /* path segments a route keeps */
#define PHPBPF_ROUTE_SEG_MAX 48      /* a longer segment is {id} */
#define PHPBPF_ROUTE_PARAMS 3        /* query parameter names kept */
#define PHPBPF_ROUTE_PARAM_MAX 24    /* bytes of each */
#define PHPBPF_ROUTE_PATH_READ 256   /* bytes of the path read, a power of two */
#define PHPBPF_ROUTE_QUERY_READ 128  /* bytes of the query string read, likewise */
#define PHPBPF_ROUTE_PATTERNS 16     /* PhpBpfRoute, at most */
#define PHPBPF_ROUTE_PAT_SEGS 8      /* segments of a pattern, at most */
/* Bytes a route keeps free while it takes a segment: room for "{id}" or
 * a last segment "*" in place of what does not fit, and its NUL. */
#define PHPBPF_ROUTE_ROOM 6
/* The route of what a vhost's table has no room for. */
#define PHPBPF_ROUTE_OTHER_HASH 0ULL
#define PHPBPF_ROUTE_OTHER "(other)"

#define PHPBPF_ROUTE_HASH_INIT 0xcbf29ce484222325ULL
#define PHPBPF_ROUTE_HASH_MUL 0x100000001b3ULL

/* What the current segment holds so far. */
#define PHPBPF_RF_DIGIT 1u           /* 0-9 */
#define PHPBPF_RF_NONHEX 2u          /* a byte that is not a hex digit or - _ . : */
#define PHPBPF_RF_LETTER 4u          /* a-z A-Z */
#define PHPBPF_RF_DASH 8u
#define PHPBPF_RF_AT 16u

struct phpbpf_route_norm {
    char out[PHPBPF_ROUTE_LEN];
    __u32 len;              /* bytes of out */
    __u32 seg_at;           /* where the segment under way starts in out */
    __u32 seg_len;          /* its bytes so far */
    __u32 flags;            /* PHPBPF_RF_* of it */
    __u32 nseg;             /* segments taken, PHPBPF_ROUTE_PAT_SEGS + 1 at most */
    __u32 cut;              /* the route ended in a segment "*": later ones are only hashed */
    __u32 slash;            /* a '/' after the last segment kept, not yet written */
    __u32 tail;             /* the path's last four bytes, for ".php" */
    __u32 params;           /* query parameter names taken */
    __u32 param_len;        /* bytes of the name under way; PHPBPF_RP_SKIP: in a value */
    __u32 param_at;         /* where that parameter starts in out */
    __u64 seg_hash;         /* of the segment under way */
    __u64 seg[PHPBPF_ROUTE_PAT_SEGS];   /* of the first segments */
};

/* A PhpBpfRoute pattern, as the helper puts it in the patterns map. */
struct phpbpf_route_pattern {
    __u32 nseg;             /* 0: the entry is unused */
    __u32 wild;             /* bit i: segment i is {name}, any one segment */
    __u32 rest;             /* its last segment is "*": any further segments */
    __u32 pad;
    __u64 hash;             /* of its text: the route's key */
    __u64 seg[PHPBPF_ROUTE_PAT_SEGS];   /* hashes of the literal segments */
    char text[PHPBPF_ROUTE_LEN];
};

#ifndef PHPBPF_INLINE
#define PHPBPF_INLINE static inline __attribute__((always_inline))
#endif

PHPBPF_INLINE void phpbpf_route_init(struct phpbpf_route_norm *n)
{
    __u32 i;

    n->len = n->seg_at = n->seg_len = n->flags = n->nseg = 0;
    n->cut = n->slash = n->tail = n->params = n->param_len = n->param_at = 0;
    n->seg_hash = PHPBPF_ROUTE_HASH_INIT;
    for (i = 0; i < PHPBPF_ROUTE_PAT_SEGS; i++)
        n->seg[i] = 0;
}

/* One byte into out, if there is room for it and the reserve. */
PHPBPF_INLINE int phpbpf_route_put(struct phpbpf_route_norm *n, char c)
{
    __u32 at = n->len;

    if (at >= PHPBPF_ROUTE_LEN - PHPBPF_ROUTE_ROOM)
        return -1;
    n->out[at] = c;
    n->len = at + 1;
    return 0;
}

/* Into the reserve: only "{id}" and the last segment "*" go there. */
PHPBPF_INLINE void phpbpf_route_put_reserve(struct phpbpf_route_norm *n, char c)
{
    __u32 at = n->len;

    if (at < PHPBPF_ROUTE_LEN - 1) {
        n->out[at] = c;
        n->len = at + 1;
    }
}

PHPBPF_INLINE void phpbpf_route_put_rest(struct phpbpf_route_norm *n)
{
    phpbpf_route_put_reserve(n, '/');
    phpbpf_route_put_reserve(n, '*');
    n->cut = 1;
}

/* What a byte says of the segment or name it is in (PHPBPF_RF_*). */
PHPBPF_INLINE __u32 phpbpf_route_flags(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return PHPBPF_RF_DIGIT;
    if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
        return PHPBPF_RF_LETTER | ((c | 0x20) > 'f' ? PHPBPF_RF_NONHEX : 0);
    if (c == '-')
        return PHPBPF_RF_DASH;
    if (c == '@')
        return PHPBPF_RF_AT | PHPBPF_RF_NONHEX;
    return c == '_' || c == '.' || c == ':' ? 0 : PHPBPF_RF_NONHEX;
}

PHPBPF_INLINE int phpbpf_route_is_id(__u32 flags, __u32 len)
{
    if (len > PHPBPF_ROUTE_SEG_MAX || (flags & PHPBPF_RF_AT))
        return 1;
    if ((flags & PHPBPF_RF_DIGIT) && !(flags & PHPBPF_RF_NONHEX))
        return 1;
    return len >= 20 && (flags & PHPBPF_RF_DIGIT) && (flags & PHPBPF_RF_LETTER)
           && !(flags & PHPBPF_RF_DASH);
}

/* The segment under way is over. */
PHPBPF_INLINE void phpbpf_route_seg_end(struct phpbpf_route_norm *n)
{
    __u32 k = n->nseg;

    if (!n->seg_len)
        return;                 /* "//", or the leading '/' */
    if (k < PHPBPF_ROUTE_PAT_SEGS)
        n->seg[k] = n->seg_hash;
    if (k <= PHPBPF_ROUTE_PAT_SEGS)
        n->nseg = k + 1;
    if (!n->cut && phpbpf_route_is_id(n->flags, n->seg_len)) {
        n->len = n->seg_at;
        phpbpf_route_put_reserve(n, '{');
        phpbpf_route_put_reserve(n, 'i');
        phpbpf_route_put_reserve(n, 'd');
        phpbpf_route_put_reserve(n, '}');
    }
    n->seg_len = 0;
    n->flags = 0;
    n->seg_hash = PHPBPF_ROUTE_HASH_INIT;
}

/* One byte of the path (Apache's r->parsed_uri.path). */
PHPBPF_INLINE void phpbpf_route_path_byte(struct phpbpf_route_norm *n, unsigned char c)
{
    n->tail = (n->tail << 8) | c;
    if (c == '/') {
        phpbpf_route_seg_end(n);
        if (n->cut)
            return;
        if (n->nseg >= PHPBPF_ROUTE_SEGS) {
            n->slash = 1;       /* written if nothing follows */
            return;
        }
        if (phpbpf_route_put(n, '/') != 0)
            phpbpf_route_put_rest(n);
        n->seg_at = n->len;
        return;
    }
    n->seg_hash = (n->seg_hash ^ c) * PHPBPF_ROUTE_HASH_MUL;
    n->seg_len++;
    n->flags |= phpbpf_route_flags(c);
    if (n->cut)
        return;
    if (n->slash) {             /* a segment beyond those kept */
        phpbpf_route_put_rest(n);
        return;
    }
    /* A byte that does not fit: the segment will be {id} (it is long) or
     * the route ends here. */
    if (n->seg_len <= PHPBPF_ROUTE_SEG_MAX && phpbpf_route_put(n, (char)c) != 0) {
        n->len = n->seg_at;
        if (n->len)
            n->len--;           /* its '/' */
        phpbpf_route_put_rest(n);
    }
}

/* The path is over; 1 if its query string's names belong in the route
 * (a front controller: "/" or a .php script). */
PHPBPF_INLINE int phpbpf_route_path_end(struct phpbpf_route_norm *n)
{
    phpbpf_route_seg_end(n);
    if (n->slash && !n->cut)
        phpbpf_route_put_reserve(n, '/');
    if (!n->len)
        phpbpf_route_put_reserve(n, '/');
    return !n->cut && (n->len == 1 || n->tail == 0x2e706870u /* ".php" */);
}

/* param_len while in a parameter's value, or in one that is left out. */
#define PHPBPF_RP_SKIP (PHPBPF_ROUTE_PARAM_MAX + 2)

/* The name under way is over: kept with its '=' if it had one and is a
 * name, else taken out again. */
PHPBPF_INLINE void phpbpf_route_param_end(struct phpbpf_route_norm *n, int has_value)
{
    if (has_value && n->param_len <= PHPBPF_ROUTE_PARAM_MAX
        && !phpbpf_route_is_id(n->flags, n->param_len) && phpbpf_route_put(n, '=') == 0)
        return;
    n->len = n->param_at;
    n->params--;
}

/* One byte of the query string (after its '?').  The path is over, so
 * flags now describe the name under way. */
PHPBPF_INLINE void phpbpf_route_query_byte(struct phpbpf_route_norm *n, unsigned char c)
{
    if (c == '&') {
        if (n->param_len && n->param_len != PHPBPF_RP_SKIP)
            phpbpf_route_param_end(n, 0);
        n->param_len = 0;
        return;
    }
    if (n->param_len == PHPBPF_RP_SKIP)
        return;
    if (c == '=') {
        if (n->param_len)
            phpbpf_route_param_end(n, 1);
        n->param_len = PHPBPF_RP_SKIP;
        return;
    }
    if (!n->param_len) {
        n->param_at = n->len;
        n->flags = 0;
        if (n->params >= PHPBPF_ROUTE_PARAMS || phpbpf_route_put(n, n->params ? '&' : '?') != 0) {
            n->len = n->param_at;
            n->param_len = PHPBPF_RP_SKIP;
            return;
        }
        n->params++;
    }
    n->flags |= phpbpf_route_flags(c);
    /* A name that does not fit is taken out at its end. */
    if (n->param_len <= PHPBPF_ROUTE_PARAM_MAX)
        n->param_len++;
    if (n->param_len <= PHPBPF_ROUTE_PARAM_MAX && phpbpf_route_put(n, (char)c) != 0)
        n->param_len = PHPBPF_ROUTE_PARAM_MAX + 1;
}

/* The query string is over. */
PHPBPF_INLINE void phpbpf_route_query_end(struct phpbpf_route_norm *n)
{
    if (n->param_len && n->param_len != PHPBPF_RP_SKIP)
        phpbpf_route_param_end(n, 0);
    n->param_len = 0;
}

/* The route's key, from its text (out[0..len)): eight bytes at a time,
 * never 0 (PHPBPF_ROUTE_OTHER_HASH).  NUL-terminates out. */
PHPBPF_INLINE __u64 phpbpf_route_finish(struct phpbpf_route_norm *n)
{
    __u64 h = PHPBPF_ROUTE_HASH_INIT;
    __u32 len = n->len < PHPBPF_ROUTE_LEN - 1 ? n->len : PHPBPF_ROUTE_LEN - 1;
    __u32 i;

    n->out[len] = '\0';
    for (i = 0; i < PHPBPF_ROUTE_LEN; i++) {
        if (i >= len)
            break;
        h = (h ^ (unsigned char)n->out[i]) * PHPBPF_ROUTE_HASH_MUL;
    }
    return h | 1;
}

/* Whether the path normalised into n is pattern p's. */
PHPBPF_INLINE int phpbpf_route_match(const struct phpbpf_route_norm *n,
                                     const struct phpbpf_route_pattern *p)
{
    __u32 i;

    if (!p->nseg || p->nseg > PHPBPF_ROUTE_PAT_SEGS
        || (p->rest ? n->nseg < p->nseg : n->nseg != p->nseg))
        return 0;
    for (i = 0; i < PHPBPF_ROUTE_PAT_SEGS; i++) {
        if (i >= p->nseg)
            break;
        if (!(p->wild & (1u << i)) && p->seg[i] != n->seg[i])
            return 0;
    }
    return 1;
}

#endif
