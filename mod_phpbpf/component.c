/* A PHP file's component (component.h), from its path alone. */
#include <string.h>

#include "apr_strings.h"

#include "component.h"

/* The path segment after "/DIR/" in file, as its own string, or NULL. */
static const char *segment_after(apr_pool_t *p, const char *file, const char *dir)
{
    const char *at = strstr(file, dir), *end;

    if (!at)
        return NULL;
    at += strlen(dir);
    end = strchr(at, '/');
    return end && end > at ? apr_pstrmemdup(p, at, (apr_size_t)(end - at)) : NULL;
}

const char *phpbpf_component_rule_parse(apr_pool_t *p, const char *prefix, const char *name,
                                        struct phpbpf_component_rule *rule)
{
    const char *star = strstr(prefix, "/*/"), *c;

    if (!strchr(prefix, '/') || strchr(prefix, ' '))
        return "PREFIX is a part of a path, with a /, without spaces";
    if (star && strchr(star + 2, '*'))
        return "PREFIX has at most one *";
    if (!star && strchr(prefix, '*'))
        return "a * in PREFIX is a whole directory: /modules/ * / (no spaces)";
    if (!*name || strlen(name) > PHPBPF_COMPONENT_NAME_MAX)
        return "NAME is 1 to 64 bytes";
    for (c = name; *c; c++)
        if ((unsigned char)*c < ' ' || (unsigned char)*c >= 0x7f)
            return "NAME is printable ASCII";
    rule->head = star ? apr_pstrmemdup(p, prefix, (apr_size_t)(star - prefix) + 1) : prefix;
    rule->tail = star ? star + 2 : NULL;
    rule->name = name;
    return NULL;
}

/* The rule's name for file, or NULL if the rule does not match it. */
static const char *by_rule(apr_pool_t *p, const char *file, const struct phpbpf_component_rule *r)
{
    const char *at = strstr(file, r->head), *seg, *end, *star;

    if (!at)
        return NULL;
    if (!r->tail)
        return r->name;
    seg = at + strlen(r->head);
    end = strchr(seg, '/');
    if (!end || end == seg || strncmp(end, r->tail, strlen(r->tail)) != 0)
        return NULL;
    if ((star = strchr(r->name, '*')))
        return apr_pstrcat(p, apr_pstrmemdup(p, r->name, (apr_size_t)(star - r->name)),
                           apr_pstrmemdup(p, seg, (apr_size_t)(end - seg)), star + 1, NULL);
    return apr_pstrcat(p, r->name, " ", apr_pstrmemdup(p, seg, (apr_size_t)(end - seg)), NULL);
}

const char *phpbpf_component_of(apr_pool_t *p, const char *file, const apr_array_header_t *rules)
{
    const char *name, *base;
    int i;

    if (!file || !*file)
        return NULL;
    for (i = 0; rules && i < rules->nelts; i++)
        if ((name = by_rule(p, file, &APR_ARRAY_IDX(rules, i, struct phpbpf_component_rule))))
            return name;
    if ((name = segment_after(p, file, "/wp-content/plugins/"))
        || (name = segment_after(p, file, "/wp-content/mu-plugins/")))
        return apr_pstrcat(p, "plugin ", name, NULL);
    if ((name = segment_after(p, file, "/wp-content/themes/")))
        return apr_pstrcat(p, "theme ", name, NULL);
    base = strrchr(file, '/');
    base = base ? base + 1 : file;
    if (strstr(file, "/wp-includes/") || strstr(file, "/wp-admin/")
        || (strncmp(base, "wp-", 3) == 0 && !strchr(base + 3, '/')))
        return "WordPress core";
    /* Composer: vendor/VENDOR/PACKAGE/... (the last vendor/ in the path). */
    {
        const char *v = NULL, *at = file, *pkg, *end;

        while ((at = strstr(at, "/vendor/")) != NULL)
            v = at++;
        if (v && (pkg = strchr(v + 8, '/')) && pkg > v + 8 && (end = strchr(pkg + 1, '/'))
            && end > pkg + 1)
            return apr_pstrmemdup(p, v + 8, (apr_size_t)(end - (v + 8)));
    }
    return "(application)";
}
