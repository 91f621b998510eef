/*
 * The parsed bootstrap of one process (PID 1 or an exec): everything the
 * child side of clone() needs, prepared in the shim so the child only issues
 * syscalls. Parsed from the NUL-separated record stream (see bootstrap.c).
 */
#ifndef BERTH_BOOTSTRAP_H
#define BERTH_BOOTSTRAP_H
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <linux/filter.h>
#include "device-filter.h"

enum op_kind { OP_MOUNT, OP_MKNOD, OP_SYMLINK, OP_PIVOT, OP_MASK, OP_READONLY, OP_ROOT_RO, OP_MKDIR, OP_WRITE };

struct op {
  enum op_kind kind;
  const char *a, *b, *c, *e; /* meaning depends on kind */
  unsigned long flags;
  char mk;                   /* mount: 'd' mkdir -p dst, 'f' create file, '-' nothing */
  unsigned mode, major, minor;
  unsigned uid, gid;         /* mknod: the node's owner */
};

struct ns_req { int type; const char *path; }; /* type = CLONE_NEW*; path NULL = new */

struct rlim { int res; struct rlimit lim; };

struct scmp_arg { unsigned idx; const char *op; uint64_t val, val2; };
struct scmp_rule { const char *name; const char *action; unsigned err; struct scmp_arg *args; unsigned nargs; };

struct bootstrap {
  /* process */
  char **argv; size_t argc;
  char **envp; size_t envc;
  const char *path_search;  /* PATH used to resolve argv[0] */
  const char *cwd;
  unsigned uid, gid; unsigned *groups; size_t ngroups;
  uint64_t caps;
  int nnp, terminal, open_stdin;
  unsigned rows, cols;
  struct rlim *rlimits; size_t nrlimits;
  const char *apparmor;
  /* container */
  const char *rootfs, *hostname, *domainname;
  struct ns_req ns[8]; size_t nns;
  int clone_flags;          /* CLONE_NEW* for private namespaces (cgroup handled by unshare) */
  int new_cgroupns;
  const char **cgroup_procs; size_t ncgroups;
  const char *oom_file;     /* memory.oom_control (v1) or memory.events (v2) */
  const char *devfilter_dir; /* cgroup2 dir to attach the device program to (PID 1 only), or NULL */
  int devfilter_required;   /* 1: fail the start when it cannot be attached (pure v2); 0: best effort (hybrid, v1 enforces) */
  struct dev_rule *dev_rules; size_t ndev_rules;
  int devprog_fd;           /* the daemon's loaded program for dev_rules, inherited open (-1: none; closed once used) */
  int prenet_fd;            /* not a record: a new network namespace the shim made before the bootstrap came (-1: none; closed once used) */
  int prenet_lo_up;         /* ... whose lo the shim brought up already */
  const char *devices_v1_dir; /* v1 devices cgroup: the same rules as devices.deny/allow writes, unless the BPF filter is in force */
  struct op *ops; size_t nops;
  /* seccomp */
  int has_seccomp;
  const char *scmp_default; unsigned scmp_default_errno;
  const char **scmp_arches; size_t narches;
  const char *scmp_cache;   /* compiled-program cache file for these exact rules, or NULL */
  struct scmp_rule *rules; size_t nrules;
  struct sock_fprog prog;   /* filled by seccomp_build() in the shim */
  /* storage */
  char *raw; size_t rawlen;
};

/* Parses `len` bytes at `buf` (taken over). Returns 0, or -1 with *err set. */
int bootstrap_parse(struct bootstrap *b, char *buf, size_t len, const char **err);
void bootstrap_free(struct bootstrap *b);
/* Builds b->prog from the seccomp records (libseccomp). 0, or -errno with *err. */
int seccomp_build(struct bootstrap *b, const char **err);
#endif
