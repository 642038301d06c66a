/* Routes: the normaliser the BPF side runs (bpf/phpbpf_route.h), fed a
 * byte at a time as there, and PhpBpfRoute's parser and matching. */
#include <string.h>

#include "route.h"
#include "route_tests.h"
#include "tap.h"

static const char *route(const char *path, const char *query)
{
    static char out[PHPBPF_ROUTE_LEN];

    phpbpf_route_of(path, query, NULL, 0, out);
    return out;
}

static void test_heuristic(void)
{
    static const struct { const char *path, *query, *want; } c[] = {
        { "/", NULL, "/" },
        { "", NULL, "/" },
        { "/product/7", "color=red", "/product/{id}" },
        { "/product/7/", NULL, "/product/{id}/" },
        { "/cart", NULL, "/cart" },
        { "/", "s=term", "/?s=" },
        { "/", "s=term&post_type=product&paged=2&orderby=x", "/?s=&post_type=&paged=" },
        { "/index.php", "p=1", "/index.php?p=" },
        { "/wp-admin/admin-ajax.php", "action=heartbeat", "/wp-admin/admin-ajax.php?action=" },
        { "/wp-login.php", "flag&x=", "/wp-login.php?x=" },           /* a name has an = */
        { "/", "1700000000", "/" },                                     /* a cache buster */
        { "/index.php", "/user/12345/edit", "/index.php" },             /* CodeIgniter's path */
        { "/index.php", "secret-token&p=3", "/index.php?p=" },
        { "/", "s=x&123=y&deadbeef42=z&q=", "/?s=&q=" },                /* id-like names are values */
        { "/", "a@b.c=1", "/" },
        { "/users/john.smith@example.com/profile", NULL, "/users/{id}/profile" },
        { "/feed/", "x=1", "/feed/" },                                  /* not a front controller */
        { "/wp-json/wp/v2/posts/123", NULL, "/wp-json/wp/v2/posts/{id}" },
        { "/users/550e8400-e29b-41d4-a716-446655440000/edit", NULL, "/users/{id}/edit" },
        { "/archive/2024-05-06", NULL, "/archive/{id}" },
        { "/c/deadbeef42", NULL, "/c/{id}" },
        { "/c/cafe", NULL, "/c/cafe" },                                 /* hex, no digit: a word */
        { "/api/v2/items", NULL, "/api/v2/items" },
        { "/t/aZ9xQ2mK7pL4vB8nR3sT", NULL, "/t/{id}" },                 /* a token */
        { "/blog/hello-world-2024-edition-notes", NULL, "/blog/hello-world-2024-edition-notes" },
        { "/a/b/c/d/e/f/g", NULL, "/a/b/c/d/e/*" },
        { "/a/b/c/d/e/", NULL, "/a/b/c/d/e/" },
        { "/blog/2024/05/06/hello/", NULL, "/blog/{id}/{id}/{id}/hello/" },
        { "//x", NULL, "//x" },
        { "/x/this-slug-is-much-longer-than-forty-eight-bytes-so-it-is-an-id", NULL, "/x/{id}" },
        { "/<b>\"q\"", NULL, "/<b>\"q\"" },                              /* escaping is the renderers' */
        { "/p/1", "a=<script>", "/p/{id}" },
    };
    unsigned i;

    for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        const char *got = route(c[i].path, c[i].query);

        ok(strcmp(got, c[i].want) == 0, "route of %s%s%s: %s (got %s)", c[i].path,
           c[i].query ? "?" : "", c[i].query ? c[i].query : "", c[i].want, got);
    }
}

/* Whatever the path, a route fits, ends in its NUL, and holds no byte of a
 * query value. */
static void test_bounds(void)
{
    char path[PHPBPF_ROUTE_PATH_READ], out[PHPBPF_ROUTE_LEN];
    unsigned seg, n, bad = 0;

    for (seg = 1; seg <= 60; seg++) {
        for (n = 0; n + seg + 1 < sizeof(path) - 1; n += seg + 1) {
            path[n] = '/';
            memset(path + n + 1, 'q', seg);
        }
        path[n] = '\0';
        phpbpf_route_of(path, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=secret", NULL, 0, out);
        if (strlen(out) >= PHPBPF_ROUTE_LEN || strstr(out, "secret"))
            bad++;
    }
    ok(bad == 0, "60 shapes of long paths: every route within %d bytes, no query value",
       PHPBPF_ROUTE_LEN - 1);
    memset(path, 'x', 200);
    path[0] = '/';
    path[200] = '\0';
    ok(strcmp(route(path, NULL), "/{id}") == 0, "a 200-byte segment is {id}");
    ok(strcmp(route("/index.php", "averyveryveryverylongparametername=1&b=2"), "/index.php?b=") == 0,
       "a parameter name longer than %d bytes is left out", PHPBPF_ROUTE_PARAM_MAX);
    ok(phpbpf_route_of("/a", NULL, NULL, 0, out) != PHPBPF_ROUTE_OTHER_HASH,
       "no route's key is (other)'s");
}

static void test_patterns(void)
{
    static const struct { const char *text, *err; } bad[] = {
        { "shop", "starts with /" },
        { "/", "at least one segment" },
        { "/*", "at least one segment" },
        { "/a//b", "empty segment" },
        { "/a/*/b", "last segment" },
        { "/a/{b", "whole segment" },
        { "/a/{}", "whole segment" },
        { "/a/{b-c}", "letters, digits and _" },
        { "/a b", "printable ASCII" },
        { "/a?b=", "printable ASCII" },
        { "/1/2/3/4/5/6/7/8/9", "at most 8 segments" },
    };
    struct phpbpf_route_pattern p[3];
    char out[PHPBPF_ROUTE_LEN];
    unsigned i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *err = phpbpf_route_pattern_parse(bad[i].text, &p[0]);

        ok(err && strstr(err, bad[i].err), "PhpBpfRoute %s: refused, %s", bad[i].text,
           err ? err : "(accepted)");
    }
    ok(!phpbpf_route_pattern_parse("/shop/{slug}/reviews", &p[0])
       && !phpbpf_route_pattern_parse("/api/v1/*", &p[1])
       && !phpbpf_route_pattern_parse("/product/{id}", &p[2]), "three patterns accepted");
    phpbpf_route_of("/shop/blue-shirt/reviews", NULL, p, 3, out);
    ok(strcmp(out, "/shop/{slug}/reviews") == 0, "a pattern names its paths: %s", out);
    phpbpf_route_of("/shop/blue-shirt/reviews/", NULL, p, 3, out);
    ok(strcmp(out, "/shop/{slug}/reviews") == 0, "with a trailing slash too");
    phpbpf_route_of("/shop/blue-shirt/reviews/2", NULL, p, 3, out);
    ok(strcmp(out, "/shop/blue-shirt/reviews/{id}") == 0, "not with a segment more: %s", out);
    phpbpf_route_of("/api/v1/users/7/posts/9/comments/1/x", NULL, p, 3, out);
    ok(strcmp(out, "/api/v1/*") == 0, "* takes any further segments, beyond those kept: %s", out);
    phpbpf_route_of("/api/v1", NULL, p, 3, out);
    ok(strcmp(out, "/api/v1/*") == 0, "and none");
    ok(phpbpf_route_of("/product/9", NULL, p, 3, out) == phpbpf_route_of("/product/9", NULL, NULL, 0, out),
       "a pattern that says what the heuristic says is the same route");
}

void route_tests(void)
{
    test_heuristic();
    test_bounds();
    test_patterns();
}
