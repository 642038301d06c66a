/* Peers and the classes of what a request waits on (php_waits.bpf.h). */
#ifndef PHPBPF_PEERS_H
#define PHPBPF_PEERS_H

#include <stddef.h>
#include <stdint.h>
#include "../bpf/phpbpf.h"

extern const char *const phpbpf_wait_names[PHPBPF_WAIT_CLASSES];

enum phpbpf_peer_kind { PHPBPF_PEER_PORT, PHPBPF_PEER_ADDR4, PHPBPF_PEER_ADDR6, PHPBPF_PEER_UNIX };

struct phpbpf_peer {
    uint32_t kind;                /* enum phpbpf_peer_kind */
    uint32_t wait_class;
    uint32_t port;
    uint32_t addr[4];             /* network order */
    char path[PHPBPF_UNIX_PATH_MAX];
};

/* The well-known ports (MySQL 3306, PostgreSQL 5432, Redis 6379,
 * Memcached 11211, DNS 53, HTTP 80 443 8080 8443) and socket paths. */
extern const struct phpbpf_peer phpbpf_default_peers[];
extern const unsigned phpbpf_default_npeers;

/* PhpBpfPeer ADDR:PORT|[ADDR6]:PORT|*:PORT|unix:PATH CLASS: NULL, or why
 * not. */
const char *phpbpf_peer_parse(const char *where, const char *class_name, struct phpbpf_peer *p);

/* As the BPF side hashes a unix socket's path. */
uint64_t phpbpf_path_hash(const char *path, size_t len);

#endif
