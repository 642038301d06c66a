/* The fair, ageing table (ftable.c): a flood of one vhost never keeps
 * another's entries out, a new hot entry is in from its first hit, every
 * hit is in the table or counted as evicted or dropped, and a period
 * without hits takes an entry out. */
#include <stdio.h>
#include <string.h>

#include "ftable.h"
#include "ftable_tests.h"
#include "tap.h"

static uint64_t in_table(const struct phpbpf_ftab *t, uint32_t vhost)
{
    uint64_t n = 0;
    uint32_t i;

    for (i = 0; i < t->cap; i++)
        if (t->ent[i].key && t->ent[i].vhost == vhost)
            n += phpbpf_fent_count(&t->ent[i]);
    return n;
}

static void hit(struct phpbpf_ftab *t, uint32_t vhost, const char *key, uint64_t n)
{
    int made;

    phpbpf_ftab_hit(t, vhost, key, (uint32_t)strlen(key), n, &made);
}

void ftable_tests(void)
{
    struct phpbpf_ftab t;
    char key[32];
    uint32_t i;
    int made, bad = 0;
    struct phpbpf_fent *e;

    ok(phpbpf_ftab_init(&t, 100, 4) == 0, "ftable: a table of 100 for 4 vhosts");
    for (i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "flood%u", i);
        hit(&t, 1, key, 1);
    }
    ok(t.n == 100 && t.v[1].n == 100, "ftable: vhost 1's flood of 5000 fills it");
    ok(in_table(&t, 1) + t.v[1].evicted == 5000, "ftable: every hit in it or counted as evicted");
    hit(&t, 2, "NewClass", 1);
    ok(phpbpf_ftab_find(&t, 2, "NewClass", 8) != NULL, "ftable: vhost 2's newcomer gets a place");
    for (i = 5000; i < 10000; i++) {
        snprintf(key, sizeof(key), "flood%u", i);
        hit(&t, 1, key, 1);
        hit(&t, 2, "NewClass", 1);
    }
    e = phpbpf_ftab_find(&t, 2, "NewClass", 8);
    ok(e && phpbpf_fent_count(e) == 5001, "ftable: and keeps it, all 5001 hits, while the flood goes on");
    ok(t.v[2].evicted == 0 && t.v[1].n == 99, "ftable: vhost 1 replaces its own entries at its share");
    for (i = 0; i < 10; i++) {
        snprintf(key, sizeof(key), "b%u", i);
        hit(&t, 2, key, 1);
    }
    ok(t.v[2].n == 11 && t.v[1].n == 89, "ftable: vhost 2's next ones take vhost 1's places");

    /* A new hot entry in a full table: in from its first hit. */
    for (i = 0; i < 100; i++)
        hit(&t, 1, "Hot::crunch", 1);
    e = phpbpf_ftab_find(&t, 1, "Hot::crunch", 11);
    ok(e && phpbpf_fent_count(e) == 100, "ftable: a new hot entry of a full table has every hit");
    for (i = 10000; i < 12000; i++) {
        snprintf(key, sizeof(key), "flood%u", i);
        hit(&t, 1, key, 1);
    }
    e = phpbpf_ftab_find(&t, 1, "Hot::crunch", 11);
    ok(e && phpbpf_fent_count(e) == 100, "ftable: and more flood does not take it out");

    /* Periods: this one and the one before are kept. */
    phpbpf_ftab_age(&t, NULL);
    e = phpbpf_ftab_find(&t, 1, "Hot::crunch", 11);
    ok(e && phpbpf_fent_count(e) == 100, "ftable: a new period keeps the last one's counts");
    hit(&t, 1, "Hot::crunch", 5);
    phpbpf_ftab_age(&t, NULL);
    e = phpbpf_ftab_find(&t, 1, "Hot::crunch", 11);
    ok(e && phpbpf_fent_count(e) == 5, "ftable: two periods on, only the last period's hits count");
    ok(!phpbpf_ftab_find(&t, 1, "flood11999", 10) && t.n == 1,
       "ftable: entries with no hit for two periods are gone (%u left)", t.n);
    phpbpf_ftab_age(&t, NULL);
    ok(t.n == 0 && t.nactive == 0, "ftable: and then the last");
    for (i = 0; i < t.vhosts; i++)
        bad += t.v[i].n != 0;
    ok(!bad, "ftable: every vhost list empty again");
    for (i = 0; i < 300; i++) {
        snprintf(key, sizeof(key), "k%u", i);
        hit(&t, i % 3, key, 1);
    }
    ok(t.v[0].n + t.v[1].n + t.v[2].n == 100 && t.v[0].n >= 32 && t.v[1].n >= 32 && t.v[2].n >= 32,
       "ftable: three vhosts share it (%u %u %u)", t.v[0].n, t.v[1].n, t.v[2].n);
    e = phpbpf_ftab_hit(&t, 9, "out of range", 12, 1, &made);
    ok(e && e->vhost == 0, "ftable: a vhost beyond the table's is counted as (other)");
    phpbpf_ftab_free(&t);
}
