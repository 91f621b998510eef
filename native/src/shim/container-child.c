/*
 * The child side of clone(): turns a fresh process into a container's PID 1
 * (or an exec'd process) and execs the user's program.
 *
 * Why C, and why this way. The shim is single-threaded, but this code is the
 * same whether it runs there or is ever called from a multi-threaded process:
 * after clone() only raw syscalls (and libc's thin syscall wrappers) are used
 * here — no malloc, no stdio, no libseccomp, no locale, no exit handlers.
 * Everything that allocates (argv, envp, the ordered list of mount ops, the
 * seccomp BPF program, capability masks, cgroup paths) is prepared by the
 * daemon (plugins/execdriver-native/bootstrap-writer.ts) and the shim
 * (bootstrap.c, seccomp-build.c) before clone().
 *
 * Failures: the shim passes the write end of a CLOEXEC pipe. On failure the
 * child writes {errno, stage} and _exits; on success execve() closes the pipe
 * and the shim reads EOF. The daemon turns the record into
 * `container setup failed at <stage>: <strerror(errno)>`.
 *
 * Ordering constraints (each one is load-bearing):
 *  1. Signals: the shim blocks all signals around clone (it uses a signalfd).
 *     Every handler is reset to SIG_DFL first; the mask is only cleared just
 *     before seccomp/execve, so no shim handler can run in the child.
 *  2. Cgroup join (write "0" to each cgroup.procs, host paths) comes first:
 *     before any setns (a process already inside the container's cgroup
 *     namespace may not move itself in from outside that namespace's root),
 *     and BEFORE unshare(CLONE_NEWCGROUP), so PID 1's new cgroup namespace is
 *     rooted at the container's own cgroup and it sees itself at "/".
 *  3. setns() into namespaces given by path (e.g. the network driver's netns)
 *     happens while host paths are still reachable, i.e. before any mount op.
 *     So does the join of a private network namespace the shim created ahead
 *     (shim-main.c prepare_netns) instead of clone(CLONE_NEWNET): before the
 *     sysfs mount, which shows the mounter's network namespace.
 *     The pid namespace of an exec is joined by the shim (setns only affects
 *     children), the mount namespace of an exec is joined last.
 *  4. Mount ops run in the daemon's order: make "/" rprivate, bind the rootfs
 *     onto itself (pivot_root needs a mount point), /proc, /sys (ro), /dev
 *     tmpfs + nodes + symlinks, /dev/pts (newinstance), /dev/shm, /dev/mqueue,
 *     the spec's mounts, the /etc files; then `pivot`; then masked paths,
 *     read-only paths and the read-only root, which must come after pivot_root
 *     because they name container paths under the container's /proc and /sys.
 *  5. pivot_root(".", ".") with the old root stacked under the new one, then
 *     MNT_DETACH of the old root: no host mount stays visible.
 *  6. hostname after the uts namespace exists; cwd is created (as root, like
 *     Docker) after pivot_root so it lands inside the rootfs.
 *  7. The terminal is allocated inside the container's devpts (after pivot /
 *     after joining the mount namespace), its master is sent to the shim over
 *     a unix socket (SCM_RIGHTS), the slave becomes the controlling tty.
 *  8. rlimits and the AppArmor exec label before dropping privileges.
 *  9. Privileges: drop the bounding set (needs CAP_SETPCAP) -> KEEPCAPS ->
 *     setgroups/setresgid/setresuid -> raise effective caps again from the kept
 *     permitted set -> no_new_privs -> close_range(CLOEXEC) -> unblock signals
 *     -> seccomp (needs CAP_SYS_ADMIN unless no_new_privs, so it comes before
 *     the final capset) -> final capset (the container's exact set) -> execve.
 *     A custom seccomp profile must therefore allow capset and execve.
 */
#include "container-child.h"
#include "timing.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

__attribute__((noreturn)) static void fail(const struct child_fds *fds, const char *stage, const char *detail, int err) {
  struct child_error ce;
  memset(&ce, 0, sizeof(ce));
  ce.err = err;
  size_t n = 0;
  for (const char *s = stage; *s && n < sizeof(ce.stage) - 1; s++) ce.stage[n++] = *s;
  if (detail) {
    const char *sep = " ";
    for (const char *s = sep; *s && n < sizeof(ce.stage) - 1; s++) ce.stage[n++] = *s;
    for (const char *s = detail; *s && n < sizeof(ce.stage) - 1; s++) ce.stage[n++] = *s;
  }
  ssize_t w = write(fds->errfd, &ce, sizeof(ce));
  (void)w;
  _exit(127);
}
#define CHECK(cond, stage, detail) do { if (!(cond)) fail(fds, (stage), (detail), errno); } while (0)

static int mkdir_p(const char *path, mode_t mode) {
  /* usual cases first, one syscall: the directory exists already, or only its last component is missing */
  if (mkdir(path, mode) == 0 || errno == EEXIST) return 0;
  if (errno != ENOENT) return -1;
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof(buf)) { errno = ENAMETOOLONG; return -1; }
  memcpy(buf, path, len + 1);
  for (size_t i = 1; i <= len; i++) {
    if (buf[i] == '/' || buf[i] == 0) {
      char c = buf[i];
      buf[i] = 0;
      if (mkdir(buf, mode) < 0 && errno != EEXIST) return -1;
      buf[i] = c;
    }
  }
  return 0;
}

static int create_file(const char *path) {
  char buf[4096];
  size_t len = strlen(path);
  if (len >= sizeof(buf)) { errno = ENAMETOOLONG; return -1; }
  memcpy(buf, path, len + 1);
  char *slash = strrchr(buf, '/');
  if (slash && slash != buf) { *slash = 0; if (mkdir_p(buf, 0755) < 0) return -1; }
  /* Already there (the init layer's /etc/hosts, ...): opening it for writing
   * would copy it up on overlayfs, and it would land in the container's diff
   * and in `docker commit`'s layer. */
  struct stat st;
  if (stat(path, &st) == 0) return 0;
  int fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOCTTY, 0644);
  if (fd < 0) {
    if (errno == EISDIR) return 0;
    return -1;
  }
  close(fd);
  return 0;
}

static unsigned long mount_flags_of(const char *path) {
  struct statvfs sv;
  unsigned long f = 0;
  if (statvfs(path, &sv) == 0) {
    if (sv.f_flag & ST_NOSUID) f |= MS_NOSUID;
    if (sv.f_flag & ST_NODEV) f |= MS_NODEV;
    if (sv.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  }
  return f;
}

static void do_pivot(const struct child_fds *fds, const char *rootfs) {
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  CHECK(oldroot >= 0, "pivot_root", "open /");
  int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  CHECK(newroot >= 0, "pivot_root", "open rootfs");
  CHECK(fchdir(newroot) == 0, "pivot_root", NULL);
  CHECK(syscall(SYS_pivot_root, ".", ".") == 0, "pivot_root", NULL);
  CHECK(fchdir(oldroot) == 0, "pivot_root", NULL);
  /* The old root is stacked on the new one: stop propagation, then detach it. */
  CHECK(mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) == 0, "pivot_root", "make old root rslave");
  CHECK(umount2(".", MNT_DETACH) == 0, "pivot_root", "detach old root");
  CHECK(chdir("/") == 0, "pivot_root", NULL);
  close(oldroot);
  close(newroot);
}

/* A fresh network namespace has only `lo`, and it is down; Docker brings it up. */
static void loopback_up(const struct child_fds *fds) {
  int sk = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  CHECK(sk >= 0, "loopback up", NULL);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, "lo", 3);
  CHECK(ioctl(sk, SIOCGIFFLAGS, &ifr) == 0, "loopback up", NULL);
  ifr.ifr_flags |= IFF_UP;
  CHECK(ioctl(sk, SIOCSIFFLAGS, &ifr) == 0, "loopback up", NULL);
  close(sk);
}

static void run_ops(const struct child_fds *fds, const struct bootstrap *b) {
  for (size_t i = 0; i < b->nops; i++) {
    const struct op *o = &b->ops[i];
    struct stat st;
    switch (o->kind) {
    case OP_MOUNT:
      if (o->mk == 'd') CHECK(mkdir_p(o->b, 0755) == 0, "mkdir", o->b);
      else if (o->mk == 'f') CHECK(create_file(o->b) == 0, "create mount point", o->b);
      if ((o->flags & MS_REMOUNT) && (o->flags & MS_BIND)) {
        unsigned long keep = mount_flags_of(o->b);
        CHECK(mount(o->a, o->b, o->c, o->flags | keep, o->e) == 0, "remount", o->b);
      } else {
        CHECK(mount(o->a, o->b, o->c, o->flags, o->e) == 0, "mount", o->b);
      }
      break;
    case OP_MKNOD:
      unlink(o->a);
      CHECK(mknod(o->a, o->mode, makedev(o->major, o->minor)) == 0, "mknod", o->a);
      CHECK(chmod(o->a, o->mode & 07777) == 0, "mknod", o->a);
      /* --device nodes keep the host node's owner, as runc makes them */
      if (o->uid || o->gid) CHECK(chown(o->a, o->uid, o->gid) == 0, "mknod", o->a);
      break;
    case OP_SYMLINK:
      if (symlink(o->a, o->b) < 0 && errno != EEXIST) fail(fds, "symlink", o->b, errno);
      break;
    case OP_MKDIR:
      CHECK(mkdir_p(o->a, o->mode) == 0, "mkdir", o->a);
      break;
    case OP_WRITE: { /* a sysctl: /proc/sys/... as seen from the container's namespaces */
      int fd = open(o->a, O_WRONLY | O_CLOEXEC);
      CHECK(fd >= 0, "sysctl", o->a);
      size_t len = strlen(o->b);
      ssize_t n = write(fd, o->b, len);
      int e = errno;
      close(fd);
      if (n != (ssize_t)len) fail(fds, "sysctl", o->a, n < 0 ? e : EIO);
      break;
    }
    case OP_PIVOT:
      child_mark("c:mounts-before-pivot");
      do_pivot(fds, b->rootfs);
      child_mark("c:pivot");
      break;
    case OP_MASK:
      if (stat(o->a, &st) < 0) { if (errno == ENOENT) break; fail(fds, "mask", o->a, errno); }
      if (S_ISDIR(st.st_mode))
        CHECK(mount("tmpfs", o->a, "tmpfs", MS_RDONLY, NULL) == 0, "mask", o->a);
      else
        CHECK(mount("/dev/null", o->a, NULL, MS_BIND, NULL) == 0, "mask", o->a);
      break;
    case OP_READONLY:
      if (stat(o->a, &st) < 0) { if (errno == ENOENT) break; fail(fds, "readonly path", o->a, errno); }
      CHECK(mount(o->a, o->a, NULL, MS_BIND | MS_REC, NULL) == 0, "readonly path", o->a);
      CHECK(mount(o->a, o->a, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_of(o->a), NULL) == 0, "readonly path", o->a);
      break;
    case OP_ROOT_RO:
      CHECK(mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_flags_of("/"), NULL) == 0, "readonly rootfs", NULL);
      break;
    }
  }
}

static void setup_terminal(const struct child_fds *fds, const struct bootstrap *b) {
  int m = open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  CHECK(m >= 0, "open pty", "/dev/pts/ptmx");
  int unlock = 0, n = -1;
  CHECK(ioctl(m, TIOCSPTLCK, &unlock) == 0, "open pty", "unlock");
  CHECK(ioctl(m, TIOCGPTN, &n) == 0, "open pty", "ptn");
  char path[32] = "/dev/pts/";
  char digits[12];
  int d = 0;
  do { digits[d++] = '0' + n % 10; n /= 10; } while (n && d < 11);
  size_t p = strlen(path);
  while (d) path[p++] = digits[--d];
  path[p] = 0;
  int s = open(path, O_RDWR | O_NOCTTY);
  CHECK(s >= 0, "open pty", path);
  if (b->rows && b->cols) {
    struct winsize ws = { .ws_row = b->rows, .ws_col = b->cols };
    ioctl(m, TIOCSWINSZ, &ws);
  }
  if (fchown(s, b->uid, -1) < 0) { /* best effort, like Docker */ }
  /* hand the master to the shim */
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof(cbuf));
  char byte = 'p';
  struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
  struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
  struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
  cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cm), &m, sizeof(int));
  CHECK(sendmsg(fds->ptysock, &msg, 0) == 1, "send pty master", NULL);
  close(m);
  CHECK(setsid() >= 0, "setsid", NULL);
  CHECK(ioctl(s, TIOCSCTTY, 0) == 0, "set controlling tty", NULL);
  for (int i = 0; i < 3; i++) CHECK(dup2(s, i) == i, "dup2 tty", NULL);
  if (s > 2) close(s);
}

static void setup_stdio(const struct child_fds *fds) {
  int src[3] = { fds->stdin_fd, fds->stdout_fd, fds->stderr_fd };
  /* Move the sources above 2 first so dup2 order cannot clobber them. */
  for (int i = 0; i < 3; i++) {
    if (src[i] >= 0 && src[i] <= 2) {
      int n = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
      CHECK(n >= 0, "dup stdio", NULL);
      src[i] = n;
    }
  }
  for (int i = 0; i < 3; i++) CHECK(dup2(src[i], i) == i, "dup2 stdio", NULL);
  setsid();
}

struct caps_data { struct __user_cap_header_struct h; struct __user_cap_data_struct d[2]; };

static int capset_masks(uint64_t eff, uint64_t prm, uint64_t inh) {
  struct caps_data c;
  memset(&c, 0, sizeof(c));
  c.h.version = _LINUX_CAPABILITY_VERSION_3;
  c.d[0].effective = (uint32_t)eff; c.d[1].effective = (uint32_t)(eff >> 32);
  c.d[0].permitted = (uint32_t)prm; c.d[1].permitted = (uint32_t)(prm >> 32);
  c.d[0].inheritable = (uint32_t)inh; c.d[1].inheritable = (uint32_t)(inh >> 32);
  return syscall(SYS_capset, &c.h, c.d);
}

static uint64_t permitted_now(void) {
  struct caps_data c;
  memset(&c, 0, sizeof(c));
  c.h.version = _LINUX_CAPABILITY_VERSION_3;
  if (syscall(SYS_capget, &c.h, c.d) < 0) return 0;
  return (uint64_t)c.d[0].permitted | ((uint64_t)c.d[1].permitted << 32);
}

__attribute__((noreturn)) static void exec_program(const struct child_fds *fds, const struct bootstrap *b) {
  const char *file = b->argv[0];
  int err = ENOENT;
  if (strchr(file, '/')) {
    execve(file, b->argv, b->envp);
    err = errno;
  } else {
    const char *p = b->path_search && *b->path_search ? b->path_search : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char buf[4096];
    size_t flen = strlen(file);
    while (*p) {
      const char *colon = strchr(p, ':');
      size_t dlen = colon ? (size_t)(colon - p) : strlen(p);
      if (dlen && dlen + flen + 2 < sizeof(buf)) {
        memcpy(buf, p, dlen); buf[dlen] = '/'; memcpy(buf + dlen + 1, file, flen + 1);
        execve(buf, b->argv, b->envp);
        if (errno == EACCES) err = EACCES;
        else if (errno != ENOENT && errno != ENOTDIR) err = errno;
      }
      if (!colon) break;
      p = colon + 1;
    }
  }
  fail(fds, "exec", file, err);
}

void child_main(const struct bootstrap *b, const struct child_fds *fds) {
  /* 1. signals back to defaults; the mask stays blocked until just before exec */
  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; s++) sigaction(s, &sa, NULL);
  prctl(PR_SET_NAME, "berth-init", 0, 0, 0);
  child_mark("c:signals");

  /* 2. cgroups first: the move must happen while we are still in the shim's
   * cgroup namespace (a process inside the container's cgroup namespace may
   * not move itself in from outside its root), and before execve */
  for (size_t i = 0; i < b->ncgroups; i++) {
    int cfd = open(b->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
    CHECK(cfd >= 0, "join cgroup", b->cgroup_procs[i]);
    CHECK(write(cfd, "0", 1) == 1, "join cgroup", b->cgroup_procs[i]);
    close(cfd);
  }
  child_mark("c:cgroups");
  /* 3. namespaces given by path (PID 1), or PID 1's (exec; mount namespace last) */
  for (size_t i = 0; i < b->nns; i++) {
    if (b->ns[i].type == CLONE_NEWPID) continue; /* joined by the shim */
    int nfd = open(b->ns[i].path, O_RDONLY | O_CLOEXEC);
    CHECK(nfd >= 0, "open namespace", b->ns[i].path);
    CHECK(setns(nfd, b->ns[i].type) == 0, "setns", b->ns[i].path);
    close(nfd);
  }
  /* the container's own network namespace, made by the shim ahead of clone() (same as CLONE_NEWNET) */
  if (fds->netns_fd >= 0) CHECK(setns(fds->netns_fd, CLONE_NEWNET) == 0, "setns", "network namespace");
  for (int i = 0; i < fds->njoin; i++) {
    if (fds->join_type[i] == CLONE_NEWNS) continue;
    CHECK(setns(fds->join_fd[i], fds->join_type[i]) == 0, "setns", "container namespace");
  }
  for (int i = 0; i < fds->njoin; i++) {
    if (fds->join_type[i] != CLONE_NEWNS) continue;
    CHECK(setns(fds->join_fd[i], CLONE_NEWNS) == 0, "setns", "container mount namespace");
    CHECK(chdir("/") == 0, "chdir", "/");
  }
  child_mark("c:cgroups+setns");
  if (b->new_cgroupns) CHECK(unshare(CLONE_NEWCGROUP) == 0, "unshare cgroup namespace", NULL);
  if (!fds->njoin && (b->clone_flags & CLONE_NEWNET) && !fds->netns_lo_up) loopback_up(fds);

  child_mark("c:cgroupns+lo");
  /* 4-5. mounts and pivot_root */
  run_ops(fds, b);
  child_mark("c:mounts");

  /* 6. identity of the box */
  if (b->hostname) CHECK(sethostname(b->hostname, strlen(b->hostname)) == 0, "sethostname", NULL);
  if (b->domainname) CHECK(setdomainname(b->domainname, strlen(b->domainname)) == 0, "setdomainname", NULL);
  CHECK(mkdir_p(b->cwd, 0755) == 0, "create working directory", b->cwd);
  CHECK(chdir(b->cwd) == 0, "chdir", b->cwd);

  /* 7. stdio */
  if (b->terminal) setup_terminal(fds, b); else setup_stdio(fds);

  child_mark("c:identity+stdio");
  /* 8. rlimits, AppArmor */
  for (size_t i = 0; i < b->nrlimits; i++)
    CHECK(setrlimit(b->rlimits[i].res, &b->rlimits[i].lim) == 0, "setrlimit", NULL);
  if (b->apparmor) {
    int afd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
    if (afd < 0) afd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
    CHECK(afd >= 0, "apparmor", b->apparmor);
    char buf[512] = "exec ";
    size_t n = 5;
    for (const char *s = b->apparmor; *s && n < sizeof(buf) - 1; s++) buf[n++] = *s;
    CHECK(write(afd, buf, n) == (ssize_t)n, "apparmor", b->apparmor);
    close(afd);
  }

  /* 9. privileges */
  for (int cap = 0; cap < 64; cap++) {
    if (b->caps & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
      if (errno == EINVAL) break; /* past the kernel's last capability */
      fail(fds, "drop capability bounding set", NULL, errno);
    }
  }
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0, "keepcaps", NULL);
  CHECK(setgroups(b->ngroups, b->ngroups ? (const gid_t *)b->groups : NULL) == 0, "setgroups", NULL);
  CHECK(setresgid(b->gid, b->gid, b->gid) == 0, "setgid", NULL);
  CHECK(setresuid(b->uid, b->uid, b->uid) == 0, "setuid", NULL);
  uint64_t prm = permitted_now();
  CHECK(capset_masks(prm, prm, 0) == 0, "capset", NULL);
  if (b->nnp) CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "no_new_privs", NULL);
  syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  child_mark("c:privileges");
  if (b->prog.len)
    CHECK(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &b->prog) == 0, "seccomp", NULL);
  CHECK(capset_masks(b->caps & prm, b->caps & prm, 0) == 0, "capset", NULL);
  child_mark("c:seccomp");
  exec_program(fds, b);
}
