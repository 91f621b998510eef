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
 * The zygote forks an intermediate that forks the shim and exits (so the shim
 * is nobody's child, as with `--fork`), reaps the intermediate, and waits for
 * the next request. It never touches a container itself. It exits when the
 * daemon's end of the socket closes (the daemon exited or closed the driver),
 * or on SIGTERM/SIGKILL. Requests are served one at a time; each takes ~0.1 ms.
 */
#include "zygote.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

const char *zygote_serve(int argc, char **argv) {
  signal(SIGPIPE, SIG_IGN);
  /* leave the daemon (its waitpid reaps this intermediate): the zygote is nobody's child, like a shim */
  pid_t z = fork();
  if (z < 0) return NULL;
  if (z > 0) _exit(0);
  /* hello: the zygote's pid, so the daemon can name (and count) it */
  char hello[32];
  int hl = snprintf(hello, sizeof(hello), "%d", (int)getpid());
  if (send(0, hello, hl, MSG_NOSIGNAL) != hl) return NULL;
  for (;;) {
    int fds[3] = { -1, -1, -1 };
    char cbuf[CMSG_SPACE(sizeof(fds))];
    struct iovec iov = { .iov_base = req, .iov_len = REQ_MAX };
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
    ssize_t n = recvmsg(0, &msg, MSG_CMSG_CLOEXEC);
    if (n < 0 && errno == EINTR) continue;
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
    pid_t p = fork();
    if (p == 0) {
      pid_t q = fork();
      if (q != 0) _exit(q < 0);
      /* the shim: stdin/stdout become the request's pipes (fd 0, the zygote's socket, is
       * replaced), the device program fd 3; moved above 9 first so no dup2 clobbers another */
      setsid();
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
    for (int i = 0; i < nfds; i++) close(fds[i]);
    if (p > 0) while (waitpid(p, NULL, 0) < 0 && errno == EINTR) {}
  }
}
