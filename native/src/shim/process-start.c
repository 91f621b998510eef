/*
 * The shim's half of starting a process: everything that may allocate or
 * block happens here, before clone(); the child half is container-child.c.
 */
#include "process-start.h"
#include "container-child.h"
#include "timing.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/*
 * strerror with a lower-case first letter, as Go (and so runc and dockerd)
 * spells errors: clients match on "no such file or directory" (exit 127) and
 * "permission denied" (exit 126), as the docker CLI does.
 */
static const char *go_strerror(int e) {
  static char buf[128];
  snprintf(buf, sizeof(buf), "%s", strerror(e));
  if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z')) buf[0] = (char)(buf[0] - 'A' + 'a');
  return buf;
}

static int recv_fd(int sock) {
  char byte;
  char cbuf[CMSG_SPACE(sizeof(int))];
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  if (!cm || cm->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  memcpy(&fd, CMSG_DATA(cm), sizeof(int));
  return fd;
}

/* clone3's arguments up to `cgroup` (CLONE_ARGS_SIZE_VER2), spelled here: <linux/sched.h> clashes with <sched.h>. */
struct clone3_args {
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size, cgroup;
};
#define BERTH_CLONE_INTO_CGROUP 0x200000000ULL

/*
 * How the child joins its cgroups without the kernel's global
 * cgroup_threadgroup_rwsem, whose write side waits for an RCU grace period
 * (1-4 ms on a loaded machine) on every `cgroup.procs` write: a v1 hierarchy
 * by writing "0" to `tasks` (a single thread moving itself takes only
 * cgroup_mutex), the cgroup2 one by being born there (clone3
 * CLONE_INTO_CGROUP). Fills join[] with the files the child writes, sets
 * *cgfd to the cgroup2 directory (or -1). Falls back to `cgroup.procs`.
 */
static void plan_cgroup_join(const struct bootstrap *b, const char **join, char **owned, int *cgfd) {
  *cgfd = -1;
  for (size_t i = 0; i < b->ncgroups; i++) {
    const char *procs = b->cgroup_procs[i];
    join[i] = procs; owned[i] = NULL;
    const char *slash = strrchr(procs, '/');
    if (!slash || strcmp(slash + 1, "cgroup.procs")) continue;
    size_t dlen = slash - procs;
    char *tasks = malloc(dlen + sizeof("/tasks"));
    if (!tasks) continue;
    memcpy(tasks, procs, dlen);
    strcpy(tasks + dlen, "/tasks");
    if (access(tasks, W_OK) == 0) { join[i] = owned[i] = tasks; continue; }
    if (*cgfd < 0) {
      tasks[dlen] = 0;
      *cgfd = open(tasks, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (*cgfd >= 0) join[i] = NULL;
    }
    free(tasks);
  }
}

static const char *ns_names[] = { "cgroup", "ipc", "uts", "net", "mnt" };
static const int ns_types[] = { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET, CLONE_NEWNS };

/* Opens /proc/<pid>/ns/<name> when it differs from the shim's own. */
static int open_ns_if_different(pid_t pid, const char *name) {
  char p1[64], p2[64];
  struct stat a, b;
  snprintf(p1, sizeof(p1), "/proc/%d/ns/%s", pid, name);
  snprintf(p2, sizeof(p2), "/proc/self/ns/%s", name);
  if (stat(p1, &a) < 0 || stat(p2, &b) < 0) return -1;
  if (a.st_ino == b.st_ino && a.st_dev == b.st_dev) return -2;
  return open(p1, O_RDONLY | O_CLOEXEC);
}

int process_start(struct bootstrap *b, pid_t join_pid, struct started *out, char *msg, size_t msglen) {
  const char *err = NULL;
  int rc = seccomp_build(b, &err);
  if (rc) { snprintf(msg, msglen, "container setup failed at seccomp: %s (%s)", strerror(-rc), err); return -1; }
  shim_mark("bpf");
  /* the device policy: a BPF program on the cgroup2 side; the v1 devices cgroup when that is unavailable */
  int bpf_devices = 0;
  /* BERTH_SHIM_DEVICES=v1: skip the BPF filter where a v1 devices cgroup exists (kernels whose BPF misbehaves; tests) */
  const char *devmode = getenv("BERTH_SHIM_DEVICES");
  if (b->devfilter_dir && join_pid <= 0 && !(devmode && !strcmp(devmode, "v1") && b->devices_v1_dir)) {
    const char *stage;
    rc = device_filter_attach(b->devfilter_dir, b->dev_rules, b->ndev_rules, b->devprog_fd, &stage);
    if (rc && b->devfilter_required) { snprintf(msg, msglen, "container setup failed at %s: %s", stage, go_strerror(-rc)); return -1; }
    if (rc) { /* stderr is /dev/null until the shim runs on its own: note it in the state dir's shim.log */
      int lfd = open("shim.log", O_CREAT | O_APPEND | O_WRONLY | O_CLOEXEC, 0600);
      if (lfd >= 0) { dprintf(lfd, "berth-shim: %s: %s (the v1 devices cgroup applies instead)\n", stage, strerror(-rc)); close(lfd); }
    }
    bpf_devices = rc == 0;
    shim_mark("devfilter");
  }
  /* the daemon's program is attached (or unused): not for the container to inherit */
  if (b->devprog_fd >= 0 && join_pid <= 0) { close(b->devprog_fd); b->devprog_fd = -1; }
  if (b->devices_v1_dir && !bpf_devices && join_pid <= 0) {
    rc = device_rules_v1(b->devices_v1_dir, b->dev_rules, b->ndev_rules);
    if (rc) { snprintf(msg, msglen, "container setup failed at devices cgroup: %s", go_strerror(-rc)); return -1; }
    shim_mark("devices-v1");
  }

  struct child_fds fds = { .errfd = -1, .stdin_fd = -1, .stdout_fd = -1, .stderr_fd = -1, .ptysock = -1, .netns_fd = -1 };
  int errp[2] = { -1, -1 }, inp[2] = { -1, -1 }, outp[2] = { -1, -1 }, errout[2] = { -1, -1 }, sp[2] = { -1, -1 };
  int pidns_self = -1, pidns_target = -1;
  int ok = 0;
  memset(out, 0, sizeof(*out));
  out->in_fd = out->out_fd = out->err_fd = out->master = -1;

  if (pipe2(errp, O_CLOEXEC) < 0) goto sysfail;
  fds.errfd = errp[1];
  if (b->terminal) {
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) < 0) goto sysfail;
    fds.ptysock = sp[1];
  } else {
    if (b->open_stdin) { if (pipe2(inp, O_CLOEXEC) < 0) goto sysfail; }
    else { inp[0] = open("/dev/null", O_RDONLY | O_CLOEXEC); if (inp[0] < 0) goto sysfail; }
    if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errout, O_CLOEXEC) < 0) goto sysfail;
    fds.stdin_fd = inp[0]; fds.stdout_fd = outp[1]; fds.stderr_fd = errout[1];
  }
  if (join_pid > 0) {
    for (int i = 0; i < 5; i++) {
      int fd = open_ns_if_different(join_pid, ns_names[i]);
      if (fd == -2) continue;
      if (fd < 0) goto sysfail;
      fds.join_fd[fds.njoin] = fd; fds.join_type[fds.njoin++] = ns_types[i];
    }
    pidns_target = open_ns_if_different(join_pid, "pid");
    if (pidns_target == -1) goto sysfail;
  } else {
    for (size_t i = 0; i < b->nns; i++)
      if (b->ns[i].type == CLONE_NEWPID) { pidns_target = open(b->ns[i].path, O_RDONLY | O_CLOEXEC); if (pidns_target < 0) goto sysfail; }
  }
  if (pidns_target >= 0) {
    pidns_self = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (pidns_self < 0 || setns(pidns_target, CLONE_NEWPID) < 0) goto sysfail;
  }

  child_marks_setup();
  sigset_t all, old;
  sigfillset(&all);
  sigprocmask(SIG_SETMASK, &all, &old);
  int flags = join_pid > 0 ? 0 : b->clone_flags;
  /* a private network namespace made ahead by the shim: the child joins it instead of creating one */
  if (join_pid <= 0 && b->prenet_fd >= 0 && (flags & CLONE_NEWNET)) { flags &= ~CLONE_NEWNET; fds.netns_fd = b->prenet_fd; fds.netns_lo_up = b->prenet_lo_up; }
  const char **procs_files = b->cgroup_procs;
  const char *join[32];
  char *owned[32];
  int cgfd = -1;
  struct bootstrap *mb = (struct bootstrap *)b;
  size_t ncg = b->ncgroups;
  if (ncg <= 32) {
    plan_cgroup_join(b, join, owned, &cgfd);
    /* the child writes the non-NULL entries of join[] */
    size_t nj = 0;
    for (size_t i = 0; i < ncg; i++) if (join[i]) join[nj++] = join[i];
    mb->cgroup_procs = join; mb->ncgroups = nj;
  } else {
    for (size_t i = 0; i < 32; i++) owned[i] = NULL;
    ncg = 0; /* nothing owned; b keeps its own list */
  }
  pid_t pid = -1;
  if (cgfd >= 0) {
    struct clone3_args ca;
    memset(&ca, 0, sizeof(ca));
    ca.flags = (uint64_t)(unsigned)flags | BERTH_CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = cgfd;
    pid = syscall(SYS_clone3, &ca, sizeof(ca));
    if (pid == 0) child_main(b, &fds);
    if (pid < 0) { /* no clone3 / CLONE_INTO_CGROUP here: join every cgroup by writing */
      mb->cgroup_procs = procs_files; mb->ncgroups = ncg;
    }
  }
  if (pid < 0) {
    pid = syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, 0);
    if (pid == 0) child_main(b, &fds);
  }
  int clone_errno = errno;
  if (ncg) { mb->cgroup_procs = procs_files; mb->ncgroups = ncg; }
  for (size_t i = 0; i < ncg; i++) free(owned[i]);
  if (cgfd >= 0) close(cgfd);
  shim_mark("cloned");
  /* the child holds the namespace now (or it is not wanted): not the shim's to keep */
  if (join_pid <= 0 && b->prenet_fd >= 0) { close(b->prenet_fd); b->prenet_fd = -1; }
  sigprocmask(SIG_SETMASK, &old, NULL);
  if (pidns_self >= 0) setns(pidns_self, CLONE_NEWPID);
  if (pid < 0) { errno = clone_errno; snprintf(msg, msglen, "container setup failed at clone: %s", go_strerror(errno)); goto out; }

  close(errp[1]); errp[1] = -1;
  struct child_error ce;
  ssize_t n;
  do n = read(errp[0], &ce, sizeof(ce)); while (n < 0 && errno == EINTR);
  child_marks_flush();
  shim_mark("execd");
  if (n > 0) {
    waitpid(pid, NULL, 0);
    ce.stage[sizeof(ce.stage) - 1] = 0;
    snprintf(msg, msglen, "container setup failed at %s: %s", ce.stage, go_strerror(ce.err));
    goto out;
  }
  out->pid = pid;
  if (b->terminal) {
    close(sp[1]); sp[1] = -1;
    int m = recv_fd(sp[0]);
    if (m < 0) { kill(pid, SIGKILL); waitpid(pid, NULL, 0); snprintf(msg, msglen, "container setup failed at receive pty master: %s", strerror(errno)); goto out; }
    out->master = m; out->in_fd = m; out->out_fd = m;
  } else {
    out->in_fd = b->open_stdin ? inp[1] : -1; inp[1] = -1;
    out->out_fd = outp[0]; outp[0] = -1;
    out->err_fd = errout[0]; errout[0] = -1;
  }
  ok = 1;
  goto out;
sysfail:
  snprintf(msg, msglen, "container setup failed at prepare: %s", go_strerror(errno));
out:
  {
    int all_fds[] = { errp[0], errp[1], inp[0], inp[1], outp[0], outp[1], errout[0], errout[1], sp[0], sp[1], pidns_self, pidns_target };
    for (size_t i = 0; i < sizeof(all_fds) / sizeof(all_fds[0]); i++) if (all_fds[i] >= 0) close(all_fds[i]);
    for (int i = 0; i < fds.njoin; i++) close(fds.join_fd[i]);
  }
  return ok ? 0 : -1;
}
