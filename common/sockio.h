/* Socket I/O with a deadline, for both ends of the helper's socket.  The
 * helper serves many clients from one event loop and must never block on
 * one: it moves what a socket takes or gives now (phpbpf_io_some) and
 * drops a client at its deadline.  A child asks once and may block, but
 * never past its deadline, however slowly the bytes come
 * (phpbpf_io_until). */
#ifndef PHPBPF_SOCKIO_H
#define PHPBPF_SOCKIO_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC, in milliseconds: deadlines do not move with the date. */
int64_t phpbpf_now_ms(void);

#define PHPBPF_IO_DONE 1          /* all n bytes moved */
#define PHPBPF_IO_AGAIN 0         /* the socket would block; *off says how far */
#define PHPBPF_IO_ERROR (-1)
#define PHPBPF_IO_EOF (-2)        /* the peer closed before n bytes (reading) */

/* Reads into or writes from p[*off .. n) what the socket allows without
 * waiting, advancing *off.  fd should be non-blocking. */
int phpbpf_io_some(int fd, int writing, void *p, size_t n, size_t *off);

/* All n bytes, waiting with poll() for at most what is left until
 * deadline_ms (phpbpf_now_ms()).  PHPBPF_IO_DONE, or PHPBPF_IO_ERROR
 * (the deadline passed too), or PHPBPF_IO_EOF. */
int phpbpf_io_until(int fd, int writing, void *p, size_t n, int64_t deadline_ms);

#endif
