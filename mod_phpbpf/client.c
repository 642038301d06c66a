#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "apr_strings.h"

#include "client.h"
#include "sockio.h"

APLOG_USE_MODULE(phpbpf);

/* How long a child waits for the helper: to send its request, and then
 * for the whole answer, however slowly it comes.  The helper answers from
 * memory in well under a millisecond; anything slower means it is stuck,
 * and the page must not hold an Apache child for long. */
#define PHPBPF_CONNECT_TRIES 3
#define PHPBPF_IO_TIMEOUT_MS 2000

static int connect_helper(request_rec *r, const char *sock)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int i, fd;

    apr_cpystrn(sa.sun_path, sock, sizeof(sa.sun_path));
    for (i = 0; i < PHPBPF_CONNECT_TRIES; i++) {
        /* Non-blocking: a blocking connect() to a helper whose backlog is
         * full waits forever, and would pin this child with it. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return -1;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            return fd;
        close(fd);
        if (errno != ECONNREFUSED && errno != ENOENT && errno != EAGAIN)
            break;
        apr_sleep(apr_time_from_msec(50));
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, errno, r,
                  "mod_phpbpf: cannot reach the helper at %s", sock);
    return -1;
}

static void *pool_alloc(void *pool, size_t size)
{
    return apr_palloc(pool, size);
}

/* Who listens there: the helper listened as root, before it dropped
 * every privilege. */
static int is_helper(int fd, pid_t helper_pid)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);

    return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0
           && helper_pid > 0 && cred.pid == helper_pid;
}

int phpbpf_client_ask(request_rec *r, const char *sock, pid_t httpd_pid, pid_t helper_pid,
                      int starting, const char **err)
{
    struct phpbpf_request req = { PHPBPF_REQ_MAGIC, PHPBPF_PROTO_VERSION,
                                  PHPBPF_REQ_SNAPSHOT, (uint32_t)httpd_pid };
    int fd;

    if (!sock || (fd = connect_helper(r, sock)) < 0) {
        *err = starting
                   ? "the helper is starting and not answering yet"
                   : "the helper is not running or not reachable; see the error log";
        return -1;
    }
    if (!is_helper(fd, helper_pid)) {
        close(fd);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_phpbpf: %s is not the socket of helper "
                      "pid %d; not asking it", sock, (int)helper_pid);
        *err = "the socket is not the helper's; see the error log";
        return -1;
    }
    if (phpbpf_io_until(fd, 1, &req, sizeof(req), phpbpf_now_ms() + PHPBPF_IO_TIMEOUT_MS)
            != PHPBPF_IO_DONE
        || shutdown(fd, SHUT_WR) != 0) {
        close(fd);
        *err = "the helper did not answer";
        return -1;
    }
    return fd;
}

const char *phpbpf_client_answer(request_rec *r, int fd, struct phpbpf_snapshot *snap,
                                 uint32_t max_vhosts)
{
    unsigned char hdr[PHPBPF_RSP_HDR_LEN], *payload;
    uint32_t status, len;
    const char *err = NULL;
    int64_t deadline = phpbpf_now_ms() + PHPBPF_IO_TIMEOUT_MS;

    if (phpbpf_io_until(fd, 0, hdr, sizeof(hdr), deadline) != PHPBPF_IO_DONE
        || phpbpf_reply_header(hdr, sizeof(hdr), &status, &len) != 0) {
        close(fd);
        return "the helper did not answer";
    }
    payload = apr_palloc(r->pool, len + 1);
    if (phpbpf_io_until(fd, 0, payload, len, deadline) != PHPBPF_IO_DONE) {
        close(fd);
        return "the helper's answer was cut short";
    }
    close(fd);
    if (status != 0) {
        char msg[PHPBPF_STR_MAX];

        if (phpbpf_error_decode(payload, len, msg, sizeof(msg)) != 0)
            return "the helper refused the request";
        return apr_pstrcat(r->pool, "the helper refused the request: ", msg, NULL);
    }
    if (phpbpf_snapshot_decode(payload, len, snap, max_vhosts, pool_alloc, r->pool,
                               &err) != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "mod_phpbpf: bad snapshot from helper: %s", err);
        return apr_pstrcat(r->pool, "bad snapshot from the helper: ", err, NULL);
    }
    return NULL;
}
