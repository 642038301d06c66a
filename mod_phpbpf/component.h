/* Which component a PHP file belongs to, as a WordPress or Composer
 * operator names them: "plugin NAME", "theme NAME", "WordPress core",
 * "VENDOR/PACKAGE" (Composer's vendor/), or "(application)" for the rest;
 * an operator's PhpBpfComponent rules first.  Pure: the unit tests call it
 * on paths. */
#ifndef PHPBPF_COMPONENT_H
#define PHPBPF_COMPONENT_H

#include "apr_pools.h"
#include "apr_tables.h"

/* PhpBpfComponent PREFIX NAME: a file whose path holds PREFIX is NAME's.
 * A "*" segment in PREFIX ("/modules/contrib/ * /", without the spaces)
 * matches one directory, which takes the place of a "*" in NAME ("module
 * *"), or follows NAME after a space. */
struct phpbpf_component_rule {
    const char *head;             /* PREFIX up to its "*", or all of it */
    const char *tail;             /* after the "*" ("/..."), NULL without one */
    const char *name;
};

#define PHPBPF_COMPONENT_RULES_MAX 32
#define PHPBPF_COMPONENT_NAME_MAX 64

/* NULL, or why PREFIX NAME is not a rule; the rule lives in p. */
const char *phpbpf_component_rule_parse(apr_pool_t *p, const char *prefix, const char *name,
                                        struct phpbpf_component_rule *rule);

/* NULL for an internal function (no file): it is charged to the nearest
 * user frame that called it.  rules: an array of struct
 * phpbpf_component_rule, tried in order, or NULL. */
const char *phpbpf_component_of(apr_pool_t *p, const char *file, const apr_array_header_t *rules);

#endif
