/* Starting PID 1 or an exec'd process from a bootstrap (see process-start.c). */
#ifndef BERTH_PROCESS_START_H
#define BERTH_PROCESS_START_H
#include "bootstrap.h"
#include <sys/types.h>

struct started {
  pid_t pid;
  int in_fd;   /* write end of the process's stdin (or the pty master), -1 if none */
  int out_fd;  /* stdout (or the pty master) */
  int err_fd;  /* stderr, -1 with a terminal */
  int master;  /* pty master or -1 */
};

/*
 * Builds the seccomp program, the stdio and the error pipe, clones the child
 * and waits for execve. `join_pid` > 0 makes it an exec: the child joins that
 * process's namespaces. On failure returns -1 and writes a message
 * (`container setup failed at <stage>: <strerror>`) to msg.
 */
int process_start(struct bootstrap *b, pid_t join_pid, struct started *out, char *msg, size_t msglen);
#endif
