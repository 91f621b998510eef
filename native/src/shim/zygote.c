/*
 * berth-shim --zygote: a fork server for shims. Starting a shim by
 * posix_spawn + execve costs ~0.3 ms of CPU on this VM before main() runs
 * (static glibc start-up: its cache-size probing issues ~40 cpuid, each a
 * VM exit, ~0.24 ms in handle_amd alone, plus mapping and faulting in the
 * binary); a fork of this small idle process costs ~0.05 ms. The daemon
 * (berth_exec launchShim) starts one zygote per driver and sends it one
 * datagram per container:
 *
 *   data: <stateDir> NUL { NAME=VALUE NUL | NAME NUL (unset) }*
 *   SCM_RIGHTS: the shim's stdin (read end), stdout (write end)[, the device program]
 *
 * The zygote keeps one *spare* forked ahead (through an intermediate that
 * exits, so it is nobody's child, as with `--fork`): the spare waits on the
 * socket, takes the next request and becomes that request's shim at once,
 * and tells the zygote (a byte on a pipe), which forks the next spare. So a
 * start wakes a sleeping process instead of waiting for new ones to be
 * scheduled (under load a freshly forked task waited ~1.5 ms for a CPU, two
 * forks in a row). Requests that arrive faster wait for the next spare. The
 * zygote never reads the socket nor touches a container itself. When the
 * last request wanted a private network namespace (BERTH_SHIM_PRENET=1), the
 * next spare creates one while it waits (with lo up; ~0.4 ms of setup_net
 * off the start's path); a request that wants none closes it. When the
 * daemon's end closes (the daemon exited or stopShimZygotes), the spare reads
 * EOF once the queue is empty and exits, and so does the zygote. `ps` shows
 * them as `berth-shim --zygote` and `berth-shim --spare`.
 */
#include "zygote.h"
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define REQ_MAX 8192

static char req[REQ_MAX + 1];

/*
 * Rewrites the argument strings in place to `--fork <dir>`, so a forked shim
 * reads in ps and /proc/<pid>/cmdline like a spawned one (tools find a shim by
 * its state directory). The zygote is started with a blank argument as room
 * (berth_exec startZygote); PR_SET_MM would need CAP_SYS_RESOURCE.
 */
static void set_cmdline(int argc, char **argv, const char *dir) {
  if (argc < 2) return;
  char *area = argv[1], *end = argv[argc - 1] + strlen(argv[argc - 1]);
  size_t room = (size_t)(end - area), d = strlen(dir);
  if (sizeof("--fork") + d > room) return;
  memset(area, 0, room);
  memcpy(area, "--fork", sizeof("--fork"));
  memcpy(area + sizeof("--fork"), dir, d);
}

/*
 * The spare: takes one request from the socket (fd 0) and becomes its shim.
 * Returns the state directory, or NULL when the daemon's end is closed and
 * nothing is queued, or the zygote is gone (then the spare exits).
 */
static const char *take_request(int argc, char **argv, int zygote_alive) {
  for (;;) {
    /* `zygote_alive`: the write end of the zygote's pipe, in error once the zygote is gone;
     * then no spare would follow this one, and a request queued after it would wait forever:
     * leave instead, the daemon's next send fails and it starts a new zygote */
    struct pollfd pf[2] = { { 0, POLLIN, 0 }, { zygote_alive, 0, 0 } };
    if (poll(pf, 2, -1) < 0) { if (errno == EINTR) continue; return NULL; }
    if (pf[1].revents) return NULL;
    int fds[3] = { -1, -1, -1 };
    char cbuf[CMSG_SPACE(sizeof(fds))];
    struct iovec iov = { .iov_base = req, .iov_len = REQ_MAX };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    ssize_t n = recvmsg(0, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return NULL; /* the daemon is gone */
    req[n] = 0;
    int nfds = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
      if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
      int k = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
      for (int i = 0; i < k && nfds < 3; i++) memcpy(&fds[nfds++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
    }
    /* a request without both pipes, or cut short, is dropped: its stdout closes, the daemon reads EOF */
    if (nfds < 2 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || !req[0]) {
      for (int i = 0; i < nfds; i++) close(fds[i]);
      continue;
    }
    /* stdin/stdout become the request's pipes (fd 0, the zygote's socket, is replaced), the
     * device program fd 3; moved above 9 first so no dup2 clobbers another */
    int hi[3] = { -1, -1, -1 };
    for (int i = 0; i < nfds; i++) { hi[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 10); if (hi[i] < 0) _exit(1); close(fds[i]); }
    if (dup2(hi[0], 0) < 0 || dup2(hi[1], 1) < 0) _exit(1);
    if (hi[2] >= 0 && dup2(hi[2], 3) < 0) _exit(1);
    for (int i = 0; i < nfds; i++) close(hi[i]);
    /* the environment of this request (the daemon's at the time of the start) */
    for (char *e = req + strlen(req) + 1; e < req + n && *e; e += strlen(e) + 1) {
      char *eq = strchr(e, '=');
      if (eq) { *eq = 0; setenv(e, eq + 1, 1); *eq = '='; } else unsetenv(e);
    }
    set_cmdline(argc, argv, req);
    return req;
  }
}

int make_netns(int *fd, int *lo_up) {
  *fd = -1;
  *lo_up = 0;
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) return 0;
  if (unshare(CLONE_NEWNET) == 0) {
    *fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    /* and bring its lo up now too (Docker does; the child then skips it) */
    int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sk >= 0) {
      struct ifreq ifr;
      memset(&ifr, 0, sizeof(ifr));
      memcpy(ifr.ifr_name, "lo", 3);
      if (ioctl(sk, SIOCGIFFLAGS, &ifr) == 0) {
        ifr.ifr_flags |= IFF_UP;
        *lo_up = ioctl(sk, SIOCSIFFLAGS, &ifr) == 0;
      }
      close(sk);
    }
    if (setns(self, CLONE_NEWNET) < 0) { int e = errno; close(self); if (*fd >= 0) close(*fd); *fd = -1; errno = e; return -1; }
  }
  close(self);
  return 0;
}

static int ahead_fd = -1, ahead_lo;

int zygote_take_netns(int *lo_up) {
  int fd = ahead_fd;
  *lo_up = ahead_lo;
  ahead_fd = -1;
  return fd;
}

/* Whether the daemon closed its end of the socket (fd 0), without reading from it. */
static int daemon_gone(void) {
  struct pollfd pf = { 0, 0, 0 };
  return poll(&pf, 1, 0) == 1 && (pf.revents & (POLLHUP | POLLERR | POLLNVAL));
}

const char *zygote_serve(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  /* leave the daemon (its waitpid reaps this intermediate): the zygote is nobody's child, like a shim */
  pid_t z = fork();
  if (z < 0) return NULL;
  if (z > 0) _exit(0);
  /* nothing of the daemon's but the socket and stdio (an fd it leaked without CLOEXEC would live on in every shim) */
  syscall(SYS_close_range, 3, ~0U, 0);
  /* hello: the zygote's pid, so the daemon can name (and count) it */
  char hello[32];
  int hl = snprintf(hello, sizeof(hello), "%d", (int)getpid());
  if (send(0, hello, hl, MSG_NOSIGNAL) != hl) return NULL;
  /* whether the last request wanted a private network namespace: the next spare makes one ahead */
  int netns_ahead = 0;
  for (;;) {
    /* one spare at a time, forked ahead (an intermediate that exits: the spare is nobody's
     * child); it says on `taken` when it took a request, and the next one is forked then */
    int taken[2];
    if (pipe2(taken, O_CLOEXEC) < 0) return NULL;
    pid_t p = fork();
    if (p == 0) {
      pid_t q = fork();
      if (q != 0) _exit(q < 0);
      close(taken[0]);
      setsid();
      if (argc >= 2 && strlen(argv[1]) >= sizeof("--spare") - 1) { memset(argv[1], 0, strlen(argv[1])); memcpy(argv[1], "--spare", sizeof("--spare") - 1); }
      /* creating a network namespace takes ~0.4 ms: done while idle when the last start wanted one
       * (a request that does not want it closes it: shim-main.c prepare_netns) */
      if (netns_ahead && make_netns(&ahead_fd, &ahead_lo) < 0) _exit(1);
      const char *dir = take_request(argc, argv, taken[1]);
      if (!dir) _exit(0);
      const char *pn = getenv("BERTH_SHIM_PRENET");
      ssize_t w = write(taken[1], pn && !strcmp(pn, "1") ? "n" : "t", 1);
      (void)w;
      close(taken[1]);
      return dir;
    }
    close(taken[1]);
    if (p > 0) while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
    char c;
    ssize_t n;
    do n = p > 0 ? read(taken[0], &c, 1) : 0; while (n < 0 && errno == EINTR);
    close(taken[0]);
    if (n == 1) { netns_ahead = c == 'n'; continue; }
    /* the spare is gone without a request: the daemon closed the socket and nothing is
     * queued (done), or it died (fork another, not in a tight loop) */
    if (daemon_gone()) return NULL;
    usleep(10000);
  }
}
