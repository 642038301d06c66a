#include <stdlib.h>
#include <string.h>

#include "profile.h"

#define FUNC_SLOTS (2 * PHPBPF_PROFILE_FUNCS)

static const struct phpbpf_func unknown = { PHPBPF_FK_USER, 0, 0, "(unknown)", "", "" };

int phpbpf_profile_init(struct phpbpf_profile *p, uint32_t vhosts)
{
    memset(p, 0, sizeof(*p));
    p->vhosts = vhosts;
    p->func_slot = calloc(FUNC_SLOTS, sizeof(*p->func_slot));
    p->func[0] = unknown;
    p->nfuncs = 1;
    if (!p->func_slot || phpbpf_ftab_init(&p->stacks, PHPBPF_PROFILE_STACKS, vhosts) != 0) {
        phpbpf_profile_free(p);
        return -1;
    }
    return 0;
}

void phpbpf_profile_free(struct phpbpf_profile *p)
{
    uint32_t i;

    for (i = 1; i < p->nfuncs; i++) {
        free((char *)p->func[i].name);
        free((char *)p->func[i].scope);
        free((char *)p->func[i].file);
    }
    phpbpf_ftab_free(&p->stacks);
    free(p->func_slot);
    memset(p, 0, sizeof(*p));
}

static uint64_t mix(uint64_t h, const void *data, size_t n)
{
    const unsigned char *s = data;

    while (n--)
        h = (h ^ *s++) * 0x100000001b3ULL;
    return h;
}

static uint64_t func_hash(const struct phpbpf_func *f)
{
    uint64_t h = mix(0xcbf29ce484222325ULL, &f->kind, sizeof(f->kind));

    h = mix(h, f->name, strlen(f->name) + 1);
    h = mix(h, f->scope, strlen(f->scope) + 1);
    return mix(h, f->file, strlen(f->file) + 1);
}

static int same_func(const struct phpbpf_func *a, const struct phpbpf_func *b)
{
    return a->kind == b->kind && strcmp(a->name, b->name) == 0 && strcmp(a->scope, b->scope) == 0
           && strcmp(a->file, b->file) == 0;
}

uint32_t phpbpf_profile_func(struct phpbpf_profile *p, const struct phpbpf_func *f)
{
    uint64_t h = func_hash(f);
    uint32_t i, k, id;

    for (k = 0; k < FUNC_SLOTS; k++) {
        i = (uint32_t)((h + k) % FUNC_SLOTS);
        if (!(id = p->func_slot[i]))
            break;
        if (same_func(&p->func[id], f))
            return id;
    }
    if (p->nfuncs >= PHPBPF_PROFILE_FUNCS || k == FUNC_SLOTS) {
        p->funcs_full++;
        return 0;
    }
    id = p->nfuncs;
    p->func[id] = (struct phpbpf_func){ f->kind, f->static_method, f->line_start,
                                         strdup(f->name), strdup(f->scope), strdup(f->file) };
    if (!p->func[id].name || !p->func[id].scope || !p->func[id].file) {
        free((char *)p->func[id].name);
        free((char *)p->func[id].scope);
        free((char *)p->func[id].file);
        p->funcs_full++;
        return 0;
    }
    p->nfuncs++;
    p->func_slot[i] = id;
    return id;
}

void phpbpf_profile_sample(struct phpbpf_profile *p, uint32_t vhost, const struct phpbpf_pframe *fr,
                           uint32_t n)
{
    int made;

    if (n > PHPBPF_STACK_MAX)
        n = PHPBPF_STACK_MAX;
    phpbpf_ftab_hit(&p->stacks, vhost < p->vhosts ? vhost : PHPBPF_VHOST_OTHER, fr,
                    n * (uint32_t)sizeof(*fr), 1, &made);
}

void phpbpf_profile_age(struct phpbpf_profile *p)
{
    phpbpf_ftab_age(&p->stacks, NULL);
}

void phpbpf_profile_backtrace(struct phpbpf_profile *p, const struct phpbpf_backtrace *bt)
{
    p->bt[p->nbt++ % PHPBPF_PROFILE_BACKTRACES] = *bt;
}

const struct phpbpf_backtrace *phpbpf_profile_find_backtrace(const struct phpbpf_profile *p,
                                                             uint32_t pid, uint64_t seq)
{
    uint64_t k;

    for (k = 1; k <= PHPBPF_PROFILE_BACKTRACES && k <= p->nbt; k++) {
        const struct phpbpf_backtrace *b = &p->bt[(p->nbt - k) % PHPBPF_PROFILE_BACKTRACES];

        if (b->pid == pid && b->seq == seq)
            return b;
    }
    return NULL;
}
