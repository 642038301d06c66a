/* Which component a PHP file belongs to, as a WordPress or Composer
 * operator names them: "plugin NAME", "theme NAME", "WordPress core",
 * "VENDOR/PACKAGE" (Composer's vendor/), or "(application)" for the rest.
 * Pure: the unit tests call it on paths. */
#ifndef PHPBPF_COMPONENT_H
#define PHPBPF_COMPONENT_H

#include "apr_pools.h"

/* NULL for an internal function (no file): it is charged to the nearest
 * user frame that called it. */
const char *phpbpf_component_of(apr_pool_t *p, const char *file);

#endif
