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

const char *phpbpf_component_of(apr_pool_t *p, const char *file)
{
    const char *name, *base;

    if (!file || !*file)
        return NULL;
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
