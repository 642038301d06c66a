/* The helper's profile (profile.c) and the stacks section of the snapshot
 * protocol: interning, counting, the bounds and what they count, and a
 * round trip with the checks a hostile reply must fail. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "snapshot.h"
#include "stacks_tests.h"
#include "tap.h"

static unsigned char arena[1 << 22];
static size_t used;

static void *alloc(void *ctx, size_t n)
{
    void *p = arena + used;

    (void)ctx;
    used += (n + 15) & ~(size_t)15;
    return used <= sizeof(arena) ? p : NULL;
}

static int decode(const struct phpbpf_buf *b, struct phpbpf_snapshot *d, const char **err)
{
    uint32_t status, len;

    used = 0;
    if (phpbpf_reply_header(b->data, b->len, &status, &len) != 0) {
        *err = "header";
        return -1;
    }
    return phpbpf_snapshot_decode(b->data + PHPBPF_RSP_HDR_LEN, len, d, 4, alloc, NULL, err);
}

static void test_profile(void)
{
    static struct phpbpf_profile p;
    struct phpbpf_func f = { PHPBPF_FK_USER, 0, 3, "crunch", "Hot", "/w/hot.php" };
    struct phpbpf_pframe fr[3];
    struct phpbpf_backtrace bt;
    uint32_t a, b, c, i, fid;
    int bad = 0;

    ok(phpbpf_profile_init(&p, 4) == 0, "profile: made for 4 vhosts");
    a = phpbpf_profile_func(&p, &f);
    b = phpbpf_profile_func(&p, &f);
    f.kind = PHPBPF_FK_INTERNAL;
    c = phpbpf_profile_func(&p, &f);
    ok(a && a == b && c && c != a, "a function is interned once, by kind, names and file (%u %u %u)", a, b, c);
    ok(strcmp(p.func[0].name, "(unknown)") == 0, "function 0 is (unknown)");
    fr[0] = (struct phpbpf_pframe){ a, 8 };
    fr[1] = (struct phpbpf_pframe){ c, 0 };
    phpbpf_profile_sample(&p, 1, fr, 2);
    phpbpf_profile_sample(&p, 1, fr, 2);
    phpbpf_profile_sample(&p, 2, fr, 2);
    fr[0].line = 9;
    phpbpf_profile_sample(&p, 1, fr, 2);
    ok(p.stacks.n == 3 && p.stacks.v[1].n == 2 && p.stacks.v[2].n == 1
       && phpbpf_fent_count(phpbpf_ftab_find(&p.stacks, 1, fr, 2 * sizeof(*fr))) == 1,
       "equal stacks are counted together, per vhost and line (%u stacks)", p.stacks.n);
    fr[0].line = 8;
    ok(phpbpf_fent_count(phpbpf_ftab_find(&p.stacks, 1, fr, 2 * sizeof(*fr))) == 2,
       "a stack seen twice counts 2");
    phpbpf_profile_sample(&p, 99, fr, 2);
    ok(p.stacks.v[PHPBPF_VHOST_OTHER].n == 1, "a vhost beyond the table counts as (other)");
    /* Fill the stack table from vhost 3: a new stack then takes the place
     * of one of its own, and what goes is counted. */
    for (i = p.stacks.n; i < PHPBPF_PROFILE_STACKS; i++) {
        fr[2] = (struct phpbpf_pframe){ a, i };
        phpbpf_profile_sample(&p, 3, fr, 3);
    }
    fr[2].line = 999999;
    phpbpf_profile_sample(&p, 3, fr, 3);
    ok(p.stacks.n == PHPBPF_PROFILE_STACKS && phpbpf_profile_lost(&p, 3) == 1
       && phpbpf_ftab_find(&p.stacks, 3, fr, 3 * sizeof(*fr)),
       "a full stack table takes a new stack in, in place of an old one, counted (%llu)",
       (unsigned long long)phpbpf_profile_lost(&p, 3));
    phpbpf_profile_sample(&p, 3, fr, 3);
    ok(phpbpf_profile_lost(&p, 3) == 1 && p.stacks.v[1].n == 2,
       "a known stack is counted, and the other vhosts' stacks stay");
    phpbpf_profile_age(&p);
    phpbpf_profile_age(&p);
    ok(p.stacks.n == 0, "two periods without samples empty it");
    for (i = 0; i < PHPBPF_PROFILE_FUNCS + 10; i++) {
        char name[32];
        struct phpbpf_func g = { PHPBPF_FK_USER, 0, 0, name, "", "/w/f.php" };

        snprintf(name, sizeof(name), "f%u", i);
        fid = phpbpf_profile_func(&p, &g);
        bad += fid >= PHPBPF_PROFILE_FUNCS;
    }
    ok(!bad && p.nfuncs == PHPBPF_PROFILE_FUNCS && p.funcs_full >= 10,
       "a full function table gives (unknown) and counts (%llu)", (unsigned long long)p.funcs_full);
    for (i = 0; i < PHPBPF_PROFILE_BACKTRACES + 6; i++) {
        memset(&bt, 0, sizeof(bt));
        bt.pid = 100 + i;
        bt.seq = 1000 + i;
        bt.nframes = 1;
        bt.frame[0] = (struct phpbpf_pframe){ a, i };
        phpbpf_profile_backtrace(&p, &bt);
    }
    ok(!phpbpf_profile_find_backtrace(&p, 100, 1000)
       && phpbpf_profile_find_backtrace(&p, 100 + 69, 1000 + 69)
       && phpbpf_profile_find_backtrace(&p, 100 + 69, 1000 + 69)->frame[0].line == 69
       && !phpbpf_profile_find_backtrace(&p, 100 + 69, 1000),
       "backtraces: the newest %d kept, found by pid and request", PHPBPF_PROFILE_BACKTRACES);
    phpbpf_profile_free(&p);
}

static void test_protocol(void)
{
    static struct phpbpf_snapshot s, d;
    static struct phpbpf_func funcs[3] = {
        { PHPBPF_FK_INTERNAL, 0, 0, "usleep", "", "" },
        { PHPBPF_FK_USER, 0, 3, "wait", "Evil<b>\xff", "/w/<img>.php" },
        { PHPBPF_FK_MAIN, 0, 1, "", "", "/w/<img>.php" },
    };
    static struct phpbpf_pframe fr[3] = { { 0, 0 }, { 1, 4 }, { 2, 9 } };
    static struct phpbpf_snap_stack st[2] = { { 7, 3, fr }, { 2, 2, fr + 1 } };
    static struct phpbpf_snap_profile prof[1] = { { 2, 10, 1, 2, st } };
    static struct phpbpf_slow_event slow[1] = { { .seq = 5, .pid = 6, .vhost = 2 } };
    static struct phpbpf_snap_backtrace bts[1] = { { 1, 1, 212000, 3, fr } };
    struct phpbpf_buf b = { 0 };
    const char *err = NULL;
    size_t k, bad = 0;

    s.stacks_state = PHPBPF_STACKS_ACTIVE;
    s.profile_hz = 99;
    s.nfuncs = 3;
    s.funcs = funcs;
    s.nprofiles = 1;
    s.profiles = prof;
    s.nslow = 1;
    s.slow = slow;
    s.backtraces = bts;
    ok(phpbpf_snapshot_encode(&b, &s) == 0 && decode(&b, &d, &err) == 0, "stacks: encode and decode (%s)",
       err ? err : "ok");
    ok(d.stacks_state == PHPBPF_STACKS_ACTIVE && d.profile_hz == 99 && d.nfuncs == 3
       && strcmp(d.funcs[1].scope, "Evil<b>\xff") == 0 && strcmp(d.funcs[1].file, "/w/<img>.php") == 0
       && d.funcs[2].kind == PHPBPF_FK_MAIN && d.funcs[0].kind == PHPBPF_FK_INTERNAL,
       "stacks: the functions round-trip, names as bytes");
    ok(d.nprofiles == 1 && d.profiles[0].vhost == 2 && d.profiles[0].samples == 10
       && d.profiles[0].dropped == 1 && d.profiles[0].nstacks == 2 && d.profiles[0].stack[0].count == 7
       && d.profiles[0].stack[0].nframes == 3 && d.profiles[0].stack[1].frame[1].line == 9,
       "stacks: a vhost's stacks round-trip");
    ok(d.nslow == 1 && d.backtraces && d.backtraces[0].taken && d.backtraces[0].truncated
       && d.backtraces[0].elapsed_us == 212000 && d.backtraces[0].nframes == 3
       && d.backtraces[0].frame[1].fid == 1, "stacks: a slow request's backtrace round-trips");
    for (k = PHPBPF_RSP_HDR_LEN; k < b.len; k++) {
        struct phpbpf_buf t = b;

        t.len = k;
        memcpy(t.data + 12, &(uint32_t){ (uint32_t)(k - PHPBPF_RSP_HDR_LEN) }, 4);
        bad += decode(&t, &d, &err) == 0;
    }
    memcpy(b.data + 12, &(uint32_t){ (uint32_t)(b.len - PHPBPF_RSP_HDR_LEN) }, 4);
    ok(bad == 0, "stacks: every truncation is refused (%zu accepted)", bad);
    fr[1].fid = 3;              /* past the functions */
    phpbpf_buf_free(&b);
    phpbpf_snapshot_encode(&b, &s);
    ok(decode(&b, &d, &err) != 0, "stacks: a frame naming no function is refused (%s)", err);
    fr[1].fid = 1;
    prof[0].vhost = 4;          /* past max_vhosts */
    phpbpf_buf_free(&b);
    phpbpf_snapshot_encode(&b, &s);
    ok(decode(&b, &d, &err) != 0, "stacks: a profile of a vhost beyond the table is refused (%s)", err);
    prof[0].vhost = 2;
    phpbpf_buf_free(&b);
}

void stacks_tests(void)
{
    test_profile();
    test_protocol();
}
