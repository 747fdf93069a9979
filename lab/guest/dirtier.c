/*
 * dirtier — the lab guest's controllable load: a memory dirtier and a disk writer.
 *
 * Memory: keeps a working set of W MiB and writes one word into a random 4 KiB page
 * of it R times per second (uniform over the set), so the migration sees R dirty
 * page-writes/s over W MiB, like the model's hot writable working set.
 * Disk: writes 4 KiB blocks sequentially (wrapping) to a block device with O_DIRECT
 * at K KiB/s, so that a shared (NFS) disk has write traffic during migration.
 *
 * Settings come from the command line and can be changed at run time over a tiny
 * line protocol on a TCP port (one command per connection or several, one per line):
 *   get                         -> "wws_mib=W rate=R disk_kib_s=K writes=N disk_kib=M"
 *   set wws_mib=W rate=R disk_kib_s=K   (any subset) -> same answer as get
 * Usage: dirtier [-w WWS_MIB] [-r WRITES_PER_S] [-k DISK_KIB_S] [-d DEVICE] [-p PORT]
 *
 * Pacing is by CLOCK_MONOTONIC in 1 ms steps; after a stall (VM paused, vCPU
 * throttled) at most 100 ms worth of writes are caught up, not the whole backlog.
 * Built static (no libc in the guest besides what softIoc needs).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

#define PAGE 4096UL

static atomic_long cfg_wws_mib = 64;
static atomic_long cfg_rate = 0;
static atomic_long cfg_disk_kib_s = 0;
static atomic_long cfg_gen = 0;            /* bumped when wws changes */
static atomic_ullong stat_writes = 0;
static atomic_ullong stat_disk_kib = 0;
static const char *disk_dev = "/dev/vda";
static int disk_ok = 0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static void *mem_thread(void *arg)
{
    (void)arg;
    uint64_t rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)time(NULL);
    unsigned char *buf = NULL;
    size_t npages = 0;
    long gen = -1;
    double t0 = now_s(), owed = 0;

    for (;;) {
        if (gen != atomic_load(&cfg_gen)) {
            gen = atomic_load(&cfg_gen);
            if (buf)
                munmap(buf, npages * PAGE);
            buf = NULL;
            npages = (size_t)atomic_load(&cfg_wws_mib) * (1024 * 1024 / PAGE);
            if (npages) {
                buf = mmap(NULL, npages * PAGE, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
                if (buf == MAP_FAILED) {
                    perror("dirtier: mmap");
                    buf = NULL;
                    npages = 0;
                } else {
                    /* make the whole set resident and non-zero once */
                    for (size_t i = 0; i < npages; i++)
                        *(uint64_t *)(buf + i * PAGE) = xorshift(&rng) | 1;
                }
            }
            t0 = now_s();
            owed = 0;
        }
        long rate = atomic_load(&cfg_rate);
        double t = now_s();
        owed += rate * (t - t0);
        t0 = t;
        if (owed > rate / 10.0 + 1)
            owed = rate / 10.0 + 1; /* catch up at most 100 ms after a stall */
        if (buf && npages) {
            long n = (long)owed;
            for (long i = 0; i < n; i++) {
                uint64_t r = xorshift(&rng);
                size_t p = (size_t)(r % npages);
                /* a word at a random offset in the page, never zero */
                *(uint64_t *)(buf + p * PAGE + ((r >> 40) % (PAGE / 8)) * 8) = r | 1;
            }
            owed -= n;
            atomic_fetch_add(&stat_writes, (unsigned long long)n);
        } else {
            owed = 0;
        }
        sleep_ms(1);
    }
    return NULL;
}

static void *disk_thread(void *arg)
{
    (void)arg;
    int fd = -1;
    void *blk = NULL;
    uint64_t size = 0, off = 0;
    double t0 = now_s(), owed = 0;

    if (posix_memalign(&blk, PAGE, PAGE) != 0)
        return NULL;
    memset(blk, 0xa5, PAGE);
    for (;;) {
        long k = atomic_load(&cfg_disk_kib_s);
        double t = now_s();
        if (k <= 0) {
            t0 = t;
            owed = 0;
            sleep_ms(50);
            continue;
        }
        if (fd < 0) {
            fd = open(disk_dev, O_WRONLY | O_DIRECT | O_DSYNC);
            if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) != 0 || size < PAGE) {
                if (fd >= 0)
                    close(fd);
                fd = -1;
                sleep_ms(1000);
                continue;
            }
            disk_ok = 1;
        }
        owed += k / 4.0 * (t - t0); /* 4 KiB blocks */
        t0 = t;
        if (owed > k / 4.0 / 10.0 + 1)
            owed = k / 4.0 / 10.0 + 1;
        while (owed >= 1) {
            ((uint64_t *)blk)[0] = off;
            if (pwrite(fd, blk, PAGE, (off_t)off) != (ssize_t)PAGE) {
                perror("dirtier: disk write");
                sleep_ms(1000);
                break;
            }
            off += PAGE;
            if (off + PAGE > size)
                off = 0;
            owed -= 1;
            atomic_fetch_add(&stat_disk_kib, 4ULL);
        }
        sleep_ms(10);
    }
    return NULL;
}

static void describe(char *out, size_t len)
{
    snprintf(out, len, "wws_mib=%ld rate=%ld disk_kib_s=%ld writes=%llu disk_kib=%llu disk=%s\n",
             atomic_load(&cfg_wws_mib), atomic_load(&cfg_rate), atomic_load(&cfg_disk_kib_s),
             (unsigned long long)atomic_load(&stat_writes),
             (unsigned long long)atomic_load(&stat_disk_kib), disk_ok ? disk_dev : "none");
}

static void apply(char *cmd)
{
    char *save = NULL;
    for (char *tok = strtok_r(cmd, " \t\r\n", &save); tok; tok = strtok_r(NULL, " \t\r\n", &save)) {
        long v;
        if (sscanf(tok, "wws_mib=%ld", &v) == 1 && v >= 0 && v != atomic_load(&cfg_wws_mib)) {
            atomic_store(&cfg_wws_mib, v);
            atomic_fetch_add(&cfg_gen, 1);
        } else if (sscanf(tok, "rate=%ld", &v) == 1 && v >= 0) {
            atomic_store(&cfg_rate, v);
        } else if (sscanf(tok, "disk_kib_s=%ld", &v) == 1 && v >= 0) {
            atomic_store(&cfg_disk_kib_s, v);
        }
    }
}

static void *client_thread(void *arg)
{
    int c = (int)(intptr_t)arg;
    FILE *f = fdopen(c, "r+");
    char line[256], out[256];
    if (!f) {
        close(c);
        return NULL;
    }
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "set", 3) == 0)
            apply(line + 3);
        else if (strncmp(line, "get", 3) != 0) {
            fputs("error: commands are get | set wws_mib=W rate=R disk_kib_s=K\n", f);
            fflush(f);
            continue;
        }
        describe(out, sizeof out);
        fputs(out, f);
        fflush(f);
    }
    fclose(f);
    return NULL;
}

int main(int argc, char **argv)
{
    int opt, port = 7000;
    while ((opt = getopt(argc, argv, "w:r:k:d:p:")) != -1) {
        switch (opt) {
        case 'w': atomic_store(&cfg_wws_mib, atol(optarg)); break;
        case 'r': atomic_store(&cfg_rate, atol(optarg)); break;
        case 'k': atomic_store(&cfg_disk_kib_s, atol(optarg)); break;
        case 'd': disk_dev = optarg; break;
        case 'p': port = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: dirtier [-w WWS_MIB] [-r WRITES_PER_S] [-k DISK_KIB_S] [-d DEV] [-p PORT]\n");
            return 2;
        }
    }
    pthread_t tm, td;
    pthread_create(&tm, NULL, mem_thread, NULL);
    pthread_create(&td, NULL, disk_thread, NULL);

    int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) != 0 || listen(s, 8) != 0) {
        perror("dirtier: control socket");
        pthread_join(tm, NULL);
        return 1;
    }
    char out[256];
    describe(out, sizeof out);
    fprintf(stderr, "dirtier: control on tcp port %d: %s", port, out);
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0)
            continue;
        pthread_t tc;
        if (pthread_create(&tc, NULL, client_thread, (void *)(intptr_t)c) == 0)
            pthread_detach(tc);
        else
            close(c);
    }
}
