/* libFuzzer target for everything that parses bytes crossing the helper's
 * socket: the request check (helper side), the reply header, the snapshot
 * and error decoders (module side).  A snapshot that decodes must encode
 * and decode again to the same thing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "snapshot.h"

#define ROOM 64

/* Decoded entries are malloc()ed and freed per input, so ASan sees any
 * write past what the decoder asked for. */
static void *allocs[8];
static int nallocs;

static void *fuzz_alloc(void *ctx, size_t n)
{
    (void)ctx;
    return nallocs < 8 ? (allocs[nallocs++] = malloc(n)) : NULL;
}

static void free_all(void)
{
    while (nallocs)
        free(allocs[--nallocs]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct phpbpf_snapshot s, s2;
    struct phpbpf_buf b = { 0 };
    const char *err;
    uint32_t status, len;
    char msg[PHPBPF_STR_MAX];
    uint32_t i;

    phpbpf_request_check(data, size, 42);
    if (phpbpf_reply_header(data, size, &status, &len) == 0 && len <= size - PHPBPF_RSP_HDR_LEN)
        phpbpf_error_decode(data + PHPBPF_RSP_HDR_LEN, len, msg, sizeof(msg));
    phpbpf_error_decode(data, size, msg, sizeof(msg));

    if (phpbpf_snapshot_decode(data, size, &s, ROOM, fuzz_alloc, NULL, &err) != 0) {
        free_all();
        return 0;
    }
    if (phpbpf_snapshot_encode(&b, &s) != 0)
        abort();
    if (phpbpf_snapshot_decode(b.data + PHPBPF_RSP_HDR_LEN, b.len - PHPBPF_RSP_HDR_LEN, &s2,
                               ROOM, fuzz_alloc, NULL, &err) != 0)
        abort();
    /* Vhosts without data are not re-sent (phpbpf_snap_vhost_has_data). */
    if (s2.state != s.state || s2.now_us != s.now_us || strcmp(s2.library, s.library) != 0
        || memcmp(s2.counters, s.counters, sizeof(s.counters)) != 0)
        abort();
    for (i = 0; i < s2.nvhosts; i++)
        if (!phpbpf_snap_vhost_has_data(&s2.vhosts[i]))
            abort();
    if (s2.nscripts != s.nscripts || s2.scripts_tracked != s.scripts_tracked
        || s2.nclasses != s.nclasses || s2.nslow != s.nslow)
        abort();
    phpbpf_buf_free(&b);
    free_all();
    return 0;
}
