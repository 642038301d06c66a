/* Which peer is which: the well-known ports and socket paths, and
 * PhpBpfPeer.  Shared by the module (which checks PhpBpfPeer at configtest)
 * and the helper (which fills the BPF maps).  Pure C. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "peers.h"

const char *const phpbpf_wait_names[PHPBPF_WAIT_CLASSES] = { PHPBPF_WAIT_NAMES };

const struct phpbpf_peer phpbpf_default_peers[] = {
    { PHPBPF_PEER_PORT, PHPBPF_W_MYSQL, 3306, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_PGSQL, 5432, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_REDIS, 6379, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_MEMCACHED, 11211, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_DNS, 53, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_HTTP, 80, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_HTTP, 443, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_HTTP, 8080, { 0 }, "" },
    { PHPBPF_PEER_PORT, PHPBPF_W_HTTP, 8443, { 0 }, "" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_MYSQL, 0, { 0 }, "/run/mysqld/mysqld.sock" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_MYSQL, 0, { 0 }, "/var/run/mysqld/mysqld.sock" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_PGSQL, 0, { 0 }, "/run/postgresql/.s.PGSQL.5432" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_PGSQL, 0, { 0 }, "/var/run/postgresql/.s.PGSQL.5432" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_PGSQL, 0, { 0 }, "/tmp/.s.PGSQL.5432" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_REDIS, 0, { 0 }, "/run/redis/redis-server.sock" },
    { PHPBPF_PEER_UNIX, PHPBPF_W_REDIS, 0, { 0 }, "/var/run/redis/redis-server.sock" },
};
const unsigned phpbpf_default_npeers = sizeof(phpbpf_default_peers) / sizeof(phpbpf_default_peers[0]);

/* Only the classes of a peer: file, sleep, lock ... are not peers. */
static int net_class(const char *s)
{
    int c;

    for (c = 0; c <= PHPBPF_W_OTHER_NET; c++)
        if (strcmp(s, phpbpf_wait_names[c]) == 0)
            return c;
    return -1;
}

static int port_of(const char *s, uint32_t *port)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);

    if (*s < '0' || *s > '9' || *end || v < 1 || v > 65535)      /* no sign, no space */
        return -1;
    *port = (uint32_t)v;
    return 0;
}

const char *phpbpf_peer_parse(const char *where, const char *class_name, struct phpbpf_peer *p)
{
    char host[64];
    const char *colon;
    int c;

    memset(p, 0, sizeof(*p));
    if ((c = net_class(class_name)) < 0)
        return "the class is not one of mysql, pgsql, redis, memcached, http, dns, other-net";
    p->wait_class = (uint32_t)c;
    if (strncmp(where, "unix:", 5) == 0) {
        size_t n = strlen(where + 5);

        if (where[5] != '/' || n >= sizeof(p->path) || n > 107)
            return "a unix socket is unix:/absolute/path, at most 107 bytes";
        p->kind = PHPBPF_PEER_UNIX;
        memcpy(p->path, where + 5, n + 1);
        return NULL;
    }
    if (where[0] == '[') {                          /* [v6]:port */
        const char *close = strchr(where, ']');

        if (!close || close[1] != ':' || (size_t)(close - where - 1) >= sizeof(host))
            return "an IPv6 peer is [address]:port";
        memcpy(host, where + 1, (size_t)(close - where - 1));
        host[close - where - 1] = '\0';
        if (inet_pton(AF_INET6, host, p->addr) != 1)
            return "not an IPv6 address";
        p->kind = PHPBPF_PEER_ADDR6;
        return port_of(close + 2, &p->port) ? "the port is not a number from 1 to 65535" : NULL;
    }
    if (!(colon = strrchr(where, ':')) || (size_t)(colon - where) >= sizeof(host))
        return "a peer is ADDRESS:PORT, *:PORT or unix:PATH";
    memcpy(host, where, (size_t)(colon - where));
    host[colon - where] = '\0';
    if (port_of(colon + 1, &p->port))
        return "the port is not a number from 1 to 65535";
    if (strcmp(host, "*") == 0) {
        p->kind = PHPBPF_PEER_PORT;
        return NULL;
    }
    if (inet_pton(AF_INET, host, p->addr) != 1)
        return "not an IPv4 address (an IPv6 one goes in brackets; names are not resolved)";
    p->kind = PHPBPF_PEER_ADDR4;
    return NULL;
}

uint64_t phpbpf_path_hash(const char *path, size_t len)
{
    uint64_t h = PHPBPF_PATH_HASH_INIT;
    size_t i;

    for (i = 0; i < len && i < PHPBPF_UNIX_PATH_MAX; i++) {
        if (!path[i] && i)
            break;
        h = phpbpf_path_hash_step(h, (unsigned char)path[i]);
    }
    return h;
}
