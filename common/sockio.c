/* Socket I/O with a deadline (sockio.h). */
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include "sockio.h"

int64_t phpbpf_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int phpbpf_io_some(int fd, int writing, void *p, size_t n, size_t *off)
{
    while (*off < n) {
        char *at = (char *)p + *off;
        ssize_t got = writing ? write(fd, at, n - *off) : read(fd, at, n - *off);

        if (got > 0) {
            *off += (size_t)got;
            continue;
        }
        if (got == 0)
            return writing ? PHPBPF_IO_ERROR : PHPBPF_IO_EOF;
        if (errno == EINTR)
            continue;
        return errno == EAGAIN || errno == EWOULDBLOCK ? PHPBPF_IO_AGAIN : PHPBPF_IO_ERROR;
    }
    return PHPBPF_IO_DONE;
}

int phpbpf_io_until(int fd, int writing, void *p, size_t n, int64_t deadline_ms)
{
    size_t off = 0;

    for (;;) {
        struct pollfd pfd = { fd, writing ? POLLOUT : POLLIN, 0 };
        int64_t left = deadline_ms - phpbpf_now_ms();
        int rc;

        if (left <= 0)
            return PHPBPF_IO_ERROR;
        rc = poll(&pfd, 1, (int)(left < 60000 ? left : 60000));
        if (rc < 0 && errno != EINTR)
            return PHPBPF_IO_ERROR;
        if (rc <= 0)
            continue;
        if ((rc = phpbpf_io_some(fd, writing, p, n, &off)) != PHPBPF_IO_AGAIN)
            return rc;
    }
}
