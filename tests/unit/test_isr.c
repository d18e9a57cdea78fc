/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interrupt safety of the rings on the host: POSIX signals play interrupts.
 * The host cd_arch.h masks every signal inside cd_arch_irq_lock(), as PRIMASK
 * holds off every handler on Cortex-M.
 *
 * Three writers share a data source and the self ring:
 *   main    the test thread, which also reads and captures in a loop
 *   timer   the SIGALRM handler (setitimer, 50 us)
 *   kick    the SIGUSR1 handler, sent by a helper thread with pthread_kill
 * Each item carries its writer, that writer's counter, and filler derived
 * from both and from the length, so a torn or mixed item cannot pass. For a
 * bounded time (0.5 s) the main thread checks every item it reads or peeks,
 * that sequence numbers are consecutive once lost items are counted, and that
 * each writer's counters increase in sequence order; at the end, that every
 * write is accounted for: written == head == read + lost + held.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cd_internal.h"
#include "fake_port.h"
#include "unit.h"

#define ITEM 32u
#define COUNT 16u
#define RUN_NS 500000000LL

enum { W_MAIN, W_TIMER, W_KICK, N_WRITERS };
enum { R_SRC, R_SELF, N_RINGS };

static uint64_t store_mem[CD_STORAGE_SIZE(ITEM, COUNT, 1, CD_RING_STRIDE(ITEM) * COUNT, 0) / 8u + 1u];
static cd_ring_t *rings[N_RINGS];

/* Each written only by its own writer (handlers of one signal never nest:
 * see on_signal), read by main once the signals are off. */
static volatile uint32_t made[N_WRITERS][N_RINGS];
static volatile uint32_t next_counter[N_WRITERS];
static volatile uint32_t write_failures[N_WRITERS];
static volatile uint32_t hits_in_call[N_WRITERS]; /* handler ran while main was in a ring call */
static volatile sig_atomic_t busy[N_WRITERS];
static volatile sig_atomic_t main_in_call;

static atomic_int stop_kicker;
static pthread_t main_thread;

static size_t make_item(uint8_t *p, uint32_t writer, uint32_t counter)
{
    size_t len = 8u + counter % 25u; /* 8..32: partial items too */
    memcpy(p, &writer, 4);
    memcpy(p + 4, &counter, 4);
    for (size_t i = 8; i < len; i++) {
        p[i] = (uint8_t)(writer * 37u + counter * 11u + i * 3u + len);
    }
    return len;
}

static int item_ok(const uint8_t *p, int len, uint32_t *writer, uint32_t *counter)
{
    uint8_t want[ITEM];
    if (len < 8 || len > (int)ITEM) {
        return 0;
    }
    memcpy(writer, p, 4);
    memcpy(counter, p + 4, 4);
    if (*writer >= N_WRITERS) {
        return 0;
    }
    size_t n = make_item(want, *writer, *counter);
    return n == (size_t)len && memcmp(want, p, n) == 0;
}

/* One item from `writer`, alternating between the two rings. */
static void emit(uint32_t writer)
{
    uint8_t item[ITEM];
    uint32_t c = next_counter[writer];
    int ring = (int)(c & 1u);
    size_t len = make_item(item, writer, c);
    int rc = ring == R_SELF ? cd_self_write(item, len)
                            : cd_ring_write(rings[R_SRC], item, len, NULL);
    if (rc == CD_OK) {
        made[writer][ring]++;
    } else {
        write_failures[writer]++;
    }
    next_counter[writer] = c + 1u;
}

static void on_signal(int sig)
{
    uint32_t w = sig == SIGALRM ? W_TIMER : W_KICK;
    /* Every signal is blocked on entry (sa_mask), but cd_arch_irq_unlock()
     * unblocks them all, so the same signal could nest once the write is
     * done. An interrupt does not preempt itself: drop such a nesting. The
     * other signal may nest, like a higher-priority interrupt. */
    if (busy[w]) {
        return;
    }
    busy[w] = 1;
    if (main_in_call) {
        hits_in_call[w]++;
    }
    emit(w);
    busy[w] = 0;
}

static void *kicker(void *arg)
{
    (void)arg;
    const struct timespec pause = {0, 20000};
    while (!atomic_load(&stop_kicker)) {
        pthread_kill(main_thread, SIGUSR1);
        nanosleep(&pause, NULL);
    }
    return NULL;
}

/* What the main thread has seen of one ring. */
typedef struct {
    uint32_t next_seq;
    uint32_t reads;
    uint32_t lost_sum;
    uint32_t last_counter[N_WRITERS];
    int seen[N_WRITERS];
} reader_t;

static reader_t rd[N_RINGS];
static uint32_t torn, seq_errors, order_errors, bad_status, held_errors, captured;

/* Per-writer counters must rise along increasing sequence numbers. */
static void check_order(uint32_t *last, int *seen, uint32_t w, uint32_t c)
{
    if (seen[w] && (int32_t)(c - last[w]) <= 0) {
        order_errors++;
    }
    seen[w] = 1;
    last[w] = c;
}

/* One destructive read; returns 0 when the ring was empty. */
static int read_one(int ring)
{
    uint8_t buf[ITEM];
    uint32_t seq = 0, lost = 0, w, c;
    main_in_call = 1;
    int n = cd_ring_read(rings[ring], buf, sizeof buf, &seq, &lost);
    main_in_call = 0;
    if (n == CD_E_EMPTY) {
        return 0;
    }
    if (n <= 0) {
        bad_status++;
        return 0;
    }
    reader_t *r = &rd[ring];
    if (!item_ok(buf, n, &w, &c)) {
        torn++;
    } else {
        check_order(r->last_counter, r->seen, w, c);
    }
    if (seq != r->next_seq + lost) {
        seq_errors++;
    }
    r->next_seq = seq + 1u;
    r->reads++;
    r->lost_sum += lost;
    return 1;
}

/* Capture: peek oldest .. head - 1 without consuming. */
static void capture(int ring)
{
    uint8_t buf[ITEM];
    uint32_t last[N_WRITERS] = {0}, w, c;
    int seen[N_WRITERS] = {0};
    cd_ring_stat_t st;
    cd_ring_stat(rings[ring], &st);
    if (st.head_seq - st.oldest_seq > st.count) {
        held_errors++;
    }
    for (uint32_t s = st.oldest_seq; s != st.head_seq; s++) {
        main_in_call = 1;
        int n = cd_ring_peek(rings[ring], s, buf, sizeof buf);
        main_in_call = 0;
        if (n == CD_E_NOT_FOUND) {
            continue; /* overwritten since the stat */
        }
        if (n <= 0) {
            bad_status++;
        } else if (!item_ok(buf, n, &w, &c)) {
            torn++;
        } else {
            check_order(last, seen, w, c);
            captured++;
        }
    }
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

TEST(interrupt_writes_interleave_with_thread_reads)
{
    static const cd_guid_t self_guid = {{0x15, 0x12}};
    static const cd_guid_t src_guid = {{0x15, 0x13}};
    cd_config_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.component_name = "unit-isr";
    cfg.self_guid = self_guid;
    cfg.self_item_size = ITEM;
    cfg.self_item_count = COUNT;
    cfg.source_count = 1;
    cfg.source_max_bytes = CD_RING_STRIDE(ITEM) * COUNT;
    cfg.storage = store_mem;
    cfg.storage_size = sizeof store_mem;
    CHECK_EQ(cd_init(&cfg), CD_OK);
    CHECK_EQ(cd_source_create(&src_guid, "isr", ITEM, COUNT, &rings[R_SRC], NULL), CD_OK);
    rings[R_SELF] = cd_self_ring();
    if (rings[R_SRC] == NULL || rings[R_SELF] == NULL) {
        return;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);

    /* The helper thread must never take the signals itself. */
    sigset_t sigs, old;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGALRM);
    sigaddset(&sigs, SIGUSR1);
    main_thread = pthread_self();
    pthread_sigmask(SIG_BLOCK, &sigs, &old);
    pthread_t kick;
    CHECK_EQ(pthread_create(&kick, NULL, kicker, NULL), 0);
    pthread_sigmask(SIG_SETMASK, &old, NULL);

    const struct itimerval tick = {{0, 50}, {0, 50}};
    CHECK_EQ(setitimer(ITIMER_REAL, &tick, NULL), 0);

    long long end = now_ns() + RUN_NS;
    uint32_t i = 0;
    while (now_ns() < end) {
        main_in_call = 1;
        emit(W_MAIN);
        main_in_call = 0;
        if (i % 3u != 2u) {
            (void)read_one(i % 3u == 0 ? R_SRC : R_SELF);
        }
        if (i % 64u == 0) {
            capture(R_SRC);
            capture(R_SELF);
        }
        i++;
    }

    /* Interrupts off for good: stop both sources, then ignore (and so
     * discard) anything still pending, because every later ring call
     * unblocks all signals again. */
    const struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    atomic_store(&stop_kicker, 1);
    pthread_join(kick, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    for (int ring = 0; ring < N_RINGS; ring++) {
        uint32_t written = made[W_MAIN][ring] + made[W_TIMER][ring] + made[W_KICK][ring];
        cd_ring_stat_t st;
        cd_ring_stat(rings[ring], &st);
        CHECK_EQ(st.head_seq, written);
        CHECK_EQ(rd[ring].reads + st.lost + (st.head_seq - st.oldest_seq), written);
        while (read_one(ring)) {
        }
        cd_ring_stat(rings[ring], &st);
        CHECK_EQ(rd[ring].reads + rd[ring].lost_sum, written);
        CHECK_EQ(st.lost, rd[ring].lost_sum);
        CHECK_EQ(st.oldest_seq, st.head_seq);
        CHECK(rd[ring].lost_sum > 0); /* the overwrite path was exercised */
    }
    CHECK_EQ(torn, 0);
    CHECK_EQ(seq_errors, 0);
    CHECK_EQ(order_errors, 0);
    CHECK_EQ(bad_status, 0);
    CHECK_EQ(held_errors, 0);
    CHECK_EQ(write_failures[W_MAIN] + write_failures[W_TIMER] + write_failures[W_KICK], 0);
    CHECK(captured > 0);
    /* Both interrupt sources really ran (thousands are typical; 50 is a
     * floor that a loaded machine still clears). */
    CHECK(made[W_TIMER][R_SRC] + made[W_TIMER][R_SELF] >= 50);
    CHECK(made[W_KICK][R_SRC] + made[W_KICK][R_SELF] >= 50);
    printf("loops %u; writes main %u timer %u kick %u; handler hits inside ring calls "
           "timer %u kick %u; read %u+%u lost %u+%u captured %u\n",
           i, made[W_MAIN][0] + made[W_MAIN][1], made[W_TIMER][0] + made[W_TIMER][1],
           made[W_KICK][0] + made[W_KICK][1], hits_in_call[W_TIMER], hits_in_call[W_KICK],
           rd[0].reads, rd[1].reads, rd[0].lost_sum, rd[1].lost_sum, captured);
}

int main(void)
{
    RUN(interrupt_writes_interleave_with_thread_reads);
    return UNIT_END();
}
