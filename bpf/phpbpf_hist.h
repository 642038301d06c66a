/* Log-linear latency histogram, in microseconds.
 *
 * bpftrace's hist() doubles its bucket width every bucket, so a p99 read off
 * it can be 50% wrong.  Here every power of two is split into 16 linear
 * sub-buckets (the HDR histogram layout): below 32 us a bucket is 1 us wide,
 * above that a bucket is at most 1/16 of its lower bound wide.  Reporting the
 * middle of a bucket is therefore within 1/32 (3.2%) of any value in it.
 *
 * The bucket index is computed inside BPF, so it must stay loop-free and
 * verifier-friendly; everything else (bounds, percentiles) lives in hist.c.
 */
#ifndef PHPBPF_HIST_H
#define PHPBPF_HIST_H

#define PHPBPF_HIST_SUB_BITS 4
#define PHPBPF_HIST_SUB      (1u << PHPBPF_HIST_SUB_BITS)
/* 31 octaves above the linear part: the last bucket starts at 31 << 30 us
 * (about 9 hours); anything longer is counted in it and max stays exact.
 * A power of two, so the BPF side can bound an index with a mask that the
 * verifier follows. */
#define PHPBPF_HIST_BUCKETS  512

struct phpbpf_hist {
    __u64 count;
    __u64 sum_us;
    __u64 max_us;
    __u64 bucket[PHPBPF_HIST_BUCKETS];
};

static inline __attribute__((always_inline)) __u32 phpbpf_log2(__u64 v)
{
#ifndef __bpf__
    /* One instruction in Apache, on every request; BPF has no clz. */
    return 63 - (__u32)__builtin_clzll(v | 1);
#else
    __u32 r, shift;

    r = (v > 0xFFFFFFFFULL) << 5; v >>= r;
    shift = (v > 0xFFFF) << 4; v >>= shift; r |= shift;
    shift = (v > 0xFF) << 3;   v >>= shift; r |= shift;
    shift = (v > 0xF) << 2;    v >>= shift; r |= shift;
    shift = (v > 0x3) << 1;    v >>= shift; r |= shift;
    r |= (__u32)(v >> 1);
    return r;
#endif
}

static inline __attribute__((always_inline)) __u32 phpbpf_hist_bucket(__u64 us)
{
    __u32 msb, idx;

    if (us < PHPBPF_HIST_SUB)
        return (__u32)us;
    msb = phpbpf_log2(us);
    idx = (msb - PHPBPF_HIST_SUB_BITS + 1) * PHPBPF_HIST_SUB
          + (__u32)((us >> (msb - PHPBPF_HIST_SUB_BITS)) - PHPBPF_HIST_SUB);
    return idx < PHPBPF_HIST_BUCKETS ? idx : PHPBPF_HIST_BUCKETS - 1;
}

#endif
