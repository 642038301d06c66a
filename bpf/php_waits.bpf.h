/* What a request waits on, included by waits.bpf.c.
 *
 * The sched_switch program already times a request's off-CPU spans; here
 * each span gets a class when it starts.  Switched out while runnable, a
 * request was preempted: runqueue.  Blocked, it is in a system call: the
 * call's number and its fd argument are in its user registers
 * (bpf_task_pt_regs), and the fd is resolved through the kernel's own
 * tables, task->files->fdt->fd[fd]: a socket's family and peer port, or
 * for AF_UNIX the path its peer is bound to; a regular file.  PHP's streams
 * write with MSG_DONTWAIT and wait in poll(), so poll's first fd says what
 * the wait is for; curl_multi polls several, and the first one that
 * classifies wins.  Sockets opened before the helper started classify the
 * same, since nothing is remembered at open time.
 *
 * raw_syscalls tracepoints would see the calls too, but attached they make
 * every system call of the machine 2.5 times as expensive (measured).
 */
#ifndef PHPBPF_PHP_WAITS_BPF_H
#define PHPBPF_PHP_WAITS_BPF_H

/* x86_64 system call numbers. */
#define NR_read 0
#define NR_write 1
#define NR_open 2
#define NR_poll 7
#define NR_pread64 17
#define NR_pwrite64 18
#define NR_readv 19
#define NR_writev 20
#define NR_select 23
#define NR_nanosleep 35
#define NR_sendfile 40
#define NR_connect 42
#define NR_accept 43
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_fcntl 72
#define NR_flock 73
#define NR_fsync 74
#define NR_fdatasync 75
#define NR_futex 202
#define NR_clock_nanosleep 230
#define NR_openat 257
#define NR_pselect6 270
#define NR_ppoll 271
#define NR_accept4 288
#define NR_recvmmsg 299
#define NR_sendmmsg 307

#define PHPBPF_AF_UNIX 1
#define PHPBPF_AF_INET 2
#define PHPBPF_AF_INET6 10
#define PHPBPF_S_IFMT 0170000
#define PHPBPF_S_IFSOCK 0140000
#define PHPBPF_S_IFREG 0100000
#define PHPBPF_S_IFBLK 0060000
#define PHPBPF_F_SETLKW 7
#define PHPBPF_F_OFD_SETLKW 38

/* Filled in by the helper: well-known ports, peers named by PhpBpfPeer,
 * and the hashes of unix socket paths. */
struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PHPBPF_MAX_PEERS);
    __type(key, __u32);                     /* port, host order */
    __type(value, __u32);                   /* class */
} peer_ports __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PHPBPF_MAX_PEERS);
    __type(key, struct phpbpf_peer_key);
    __type(value, __u32);
} peer_addrs __weak SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, PHPBPF_MAX_PEERS);
    __type(key, __u64);                     /* phpbpf_path_hash() of sun_path */
    __type(value, __u32);
} peer_unix __weak SEC(".maps");

/* A unix socket path, too big for the stack next to the rest. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct phpbpf_unix_path);
} path_scratch __weak SEC(".maps");

static __always_inline __u32 lookup_class(void *map, const void *key)
{
    __u32 *c = bpf_map_lookup_elem(map, key);

    return c ? *c : PHPBPF_W_OTHER_NET;
}

/* bpf_loop's context must live on the stack; the path is in a map. */
struct hash_ctx {
    struct phpbpf_unix_path *p;
};

static long hash_byte(__u32 i, void *ctx)
{
    struct phpbpf_unix_path *p = ((struct hash_ctx *)ctx)->p;
    unsigned char c;

    if (i >= p->len || i >= PHPBPF_UNIX_PATH_MAX)
        return 1;
    c = (unsigned char)p->path[i & (PHPBPF_UNIX_PATH_MAX - 1)];
    if (!c && i)                /* a path ends at its NUL; an abstract name starts with one */
        return 1;
    p->hash = phpbpf_path_hash_step(p->hash, c);
    return 0;
}

/* The class of a unix socket: by the path its peer is bound to. */
static __always_inline __u32 unix_class(struct sock *sk)
{
    struct unix_sock *u = (struct unix_sock *)sk;
    struct sock *peer = BPF_CORE_READ(u, peer);
    struct unix_address *addr;
    struct phpbpf_unix_path *p;
    struct hash_ctx hc;
    __u32 zero = 0;
    int len;

    if (!peer)
        return PHPBPF_W_OTHER_NET;
    addr = BPF_CORE_READ((struct unix_sock *)peer, addr);
    if (!addr || !(p = bpf_map_lookup_elem(&path_scratch, &zero)))
        return PHPBPF_W_OTHER_NET;
    len = BPF_CORE_READ(addr, len) - (int)offsetof(struct sockaddr_un, sun_path);
    if (len <= 0)
        return PHPBPF_W_OTHER_NET;
    if (len > PHPBPF_UNIX_PATH_MAX)
        len = PHPBPF_UNIX_PATH_MAX;
    p->len = (__u32)len;
    p->hash = PHPBPF_PATH_HASH_INIT;
    if (bpf_probe_read_kernel(p->path, sizeof(addr->name[0].sun_path), addr->name[0].sun_path))
        return PHPBPF_W_OTHER_NET;
    /* Abstract sockets start with a NUL; paths end at one. */
    hc.p = p;
    bpf_loop(PHPBPF_UNIX_PATH_MAX, hash_byte, &hc, 0);
    return lookup_class(&peer_unix, &p->hash);
}

/* The class of fd in task, from the kernel's file table.  A subprogram of
 * its own: inlined three times over, it was more than clang 14 could
 * compile right. */
static __noinline __u32 fd_class(struct task_struct *t, __u64 fd)
{
    /* Loads through the task pointer are direct (and fault-safe); the file
     * the table points to is read with helpers, for want of a way to index
     * the table directly. */
    struct fdtable *fdt = t->files->fdt;
    struct file **fds, *file = NULL;
    struct socket *sock;
    struct sock *sk;
    __u32 mode, max;
    __u16 family;

    if (!fdt)
        return PHPBPF_W_OTHER;
    max = fdt->max_fds;
    if (fd >= max)
        return PHPBPF_W_OTHER;
    fds = fdt->fd;
    if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
        return PHPBPF_W_OTHER;
    mode = BPF_CORE_READ(file, f_inode, i_mode) & PHPBPF_S_IFMT;
    if (mode == PHPBPF_S_IFREG || mode == PHPBPF_S_IFBLK)
        return PHPBPF_W_FILE;
    if (mode != PHPBPF_S_IFSOCK)
        return PHPBPF_W_OTHER;
    sock = BPF_CORE_READ(file, private_data);
    sk = sock ? BPF_CORE_READ(sock, sk) : NULL;
    if (!sk)
        return PHPBPF_W_OTHER_NET;
    family = BPF_CORE_READ(sk, __sk_common.skc_family);
    if (family == PHPBPF_AF_UNIX)
        return unix_class(sk);
    if (family == PHPBPF_AF_INET || family == PHPBPF_AF_INET6) {
        struct phpbpf_peer_key k = { .family = family };
        __u32 *c;

        k.port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
        if (family == PHPBPF_AF_INET)
            k.addr[0] = BPF_CORE_READ(sk, __sk_common.skc_daddr);
        else
            BPF_CORE_READ_INTO(&k.addr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr32);
        if ((c = bpf_map_lookup_elem(&peer_addrs, &k)))
            return *c;
        return lookup_class(&peer_ports, &k.port);
    }
    return PHPBPF_W_OTHER_NET;
}

/* How many fds of a poll or select set are looked at: curl_multi and
 * stream_select wait on several, and the first one may be a wakeup pipe or
 * socketpair that says nothing. */
#define PHPBPF_POLL_FDS 8

/* A class that names what was waited on, not just "a socket" or "other". */
static __always_inline int classified(__u32 c)
{
    return c != PHPBPF_W_OTHER && c != PHPBPF_W_OTHER_NET;
}

/* Of a poll set (nfds struct pollfd at ufds, in user memory): the first fd
 * that classifies, or else what the first fd is. */
static __always_inline __u32 poll_class(struct task_struct *t, __u64 ufds, __u64 nfds)
{
    __u32 first = PHPBPF_W_OTHER, c, i;
    int have = 0;

    if (!nfds)
        return PHPBPF_W_SLEEP;      /* poll(NULL, 0, timeout): a sleep */
    for (i = 0; i < PHPBPF_POLL_FDS && i < nfds; i++) {
        __s32 fd = -1;

        if (bpf_probe_read_user(&fd, sizeof(fd), (void *)(ufds + 8 * (__u64)i)))
            break;                  /* struct pollfd: int fd; short events, revents */
        if (fd < 0)
            continue;               /* poll skips negative fds */
        c = fd_class(t, (__u64)fd);
        if (classified(c))
            return c;
        if (!have)
            first = c, have = 1;
    }
    return first;
}

/* Of select's read and write sets (the first 64 fds): likewise. */
static __always_inline __u32 select_class(struct task_struct *t, __u64 nfds, __u64 rd, __u64 wr)
{
    __u64 bits = 0, w = 0;
    __u32 first = PHPBPF_W_OTHER, c, i;
    int have = 0;

    if (!nfds || (!rd && !wr))
        return PHPBPF_W_SLEEP;
    if (rd)
        bpf_probe_read_user(&bits, sizeof(bits), (void *)rd);
    if (wr)
        bpf_probe_read_user(&w, sizeof(w), (void *)wr);
    bits |= w;
    if (nfds < 64)
        bits &= (1ULL << nfds) - 1;
    for (i = 0; i < PHPBPF_POLL_FDS && bits; i++) {
        c = fd_class(t, phpbpf_log2(bits & -bits));     /* the lowest fd set */
        bits &= bits - 1;
        if (classified(c))
            return c;
        if (!have)
            first = c, have = 1;
    }
    return first;
}

/* What the task, switched out now, is going to wait on.  It is current:
 * sched_switch runs in the context of the task it switches out. */
static __always_inline __u32 wait_class(struct task_struct *t, bool preempt)
{
    struct pt_regs *regs;
    __u64 nr;

    /* t is the tracepoint's own task pointer: a direct load, not a helper. */
    if (preempt || t->__state == 0)
        return PHPBPF_W_RUNQUEUE;
    regs = (struct pt_regs *)bpf_task_pt_regs(t);
    if (!regs)
        return PHPBPF_W_OTHER;
    nr = regs->orig_ax;
    switch (nr) {
    case NR_read: case NR_write: case NR_pread64: case NR_pwrite64: case NR_readv:
    case NR_writev: case NR_connect: case NR_accept: case NR_accept4: case NR_sendto:
    case NR_recvfrom: case NR_sendmsg: case NR_recvmsg: case NR_recvmmsg: case NR_sendmmsg:
    case NR_sendfile:
        return fd_class(t, nr == NR_sendfile ? regs->si : regs->di);
    case NR_fsync: case NR_fdatasync: case NR_open: case NR_openat:
        return PHPBPF_W_FILE;
    case NR_poll: case NR_ppoll:
        return poll_class(t, regs->di, regs->si);
    case NR_select: case NR_pselect6:
        return select_class(t, regs->di, regs->si, regs->dx);
    case NR_nanosleep: case NR_clock_nanosleep:
        return PHPBPF_W_SLEEP;
    case NR_futex: case NR_flock:
        return PHPBPF_W_LOCK;
    case NR_fcntl:
        return regs->si == PHPBPF_F_SETLKW || regs->si == PHPBPF_F_OFD_SETLKW ? PHPBPF_W_LOCK
                                                                          : PHPBPF_W_OTHER;
    default:
        return PHPBPF_W_OTHER;
    }
}

#endif
