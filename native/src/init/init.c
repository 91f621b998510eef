/*
 * berth-init: the small init for `--init` (like docker-init / tini).
 * Bind-mounted into the container at /dev/init and run as PID 1:
 *   /dev/init -- <program> [args...]
 * It starts the program as its child, forwards every catchable signal it
 * receives to it, reaps every zombie re-parented to PID 1, and exits with the
 * program's status (128+n when the program was killed by signal n).
 * Static, no allocation: it runs in any root filesystem.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && !strcmp(argv[1], "--")) first = 2;
  if (first >= argc) { fprintf(stderr, "usage: berth-init [--] program [args...]\n"); return 2; }
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &old);
  pid_t child = fork();
  if (child < 0) { perror("berth-init: fork"); return 1; }
  if (child == 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    setpgid(0, 0);
    /* Give the terminal, if any, to the program's process group. */
    if (isatty(0)) { signal(SIGTTOU, SIG_IGN); tcsetpgrp(0, getpid()); signal(SIGTTOU, SIG_DFL); }
    execvp(argv[first], argv + first);
    fprintf(stderr, "berth-init: exec %s: %s\n", argv[first], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
  }
  for (;;) {
    siginfo_t si;
    struct timespec ts = { 1, 0 };
    int sig = sigtimedwait(&all, &si, &ts);
    if (sig > 0 && sig != SIGCHLD) {
      /* forward; SIGKILL/SIGSTOP never arrive here */
      kill(child, sig);
    }
    for (;;) {
      int st;
      pid_t p = waitpid(-1, &st, WNOHANG);
      if (p <= 0) break;
      if (p == child) {
        /* reap what is left, then leave with the program's status */
        while (waitpid(-1, NULL, WNOHANG) > 0) { }
        if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
        return WEXITSTATUS(st);
      }
    }
  }
}
