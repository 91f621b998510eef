/* The child side of clone(); see container-child.c for the ordering constraints. */
#ifndef BERTH_CONTAINER_CHILD_H
#define BERTH_CONTAINER_CHILD_H
#include "bootstrap.h"

struct child_error { int err; char stage[240]; };

struct child_fds {
  int errfd;                         /* CLOEXEC pipe to the shim: child_error on failure */
  int stdin_fd, stdout_fd, stderr_fd; /* pipes (no terminal) */
  int ptysock;                       /* unix socket to send the pty master (terminal) */
  int netns_fd;                      /* PID 1: the network namespace the shim made ahead (setns instead of CLONE_NEWNET), or -1 */
  int netns_lo_up;                   /* its lo is up already */
  int njoin;                         /* exec: namespaces of PID 1 to join */
  int join_fd[8], join_type[8];
};

/* Never returns: execs the program or reports a child_error and _exits. */
void child_main(const struct bootstrap *b, const struct child_fds *fds) __attribute__((noreturn));
#endif
