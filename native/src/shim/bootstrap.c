/*
 * Parses the bootstrap record stream the daemon writes to the shim (PID 1) or
 * sends with an `exec` request. Records are NUL-terminated strings: a key,
 * then a fixed number of fields for that key:
 *
 *   arg S | env S | path S | cwd S | user UID GID | group GID | caps HEX
 *   nnp | terminal | openstdin | size ROWS COLS | rlimit RES SOFT HARD (-1 = unlimited)
 *   apparmor PROFILE | rootfs DIR | hostname S | domainname S
 *   ns TYPE PATH  (TYPE pid|ipc|uts|net|mnt|cgroup; PATH "-" = new namespace)
 *   cgroup PROCS_FILE | oomfile FILE
 *   devfilter CGROUP2_DIR REQUIRED(0|1) | devrule TYPE(c|b|a) MAJOR MINOR ACCESS(rwm subset)  (-1 = any)
 *   devices_v1 DIR  (v1 devices cgroup: deny all + the devrules, when no BPF filter could be attached)
 *   devprog FD  (the devrules' program, loaded by the daemon and inherited open as FD: attached instead of a new load)
 *   mount SRC DST FSTYPE FLAGS DATA MK   (empty SRC/FSTYPE/DATA = NULL; MK d|f|-)
 *   mknod PATH MODE MAJOR MINOR UID GID | symlink TARGET LINK | mkdir PATH MODE
 *   pivot | mask PATH | readonly PATH | rootro
 *   scmp_default ACTION ERRNO | scmp_arch NAME | scmp_cache FILE
 *   scmp_rule NAME ACTION ERRNO NARGS {IDX OP VALUE VALUE2}*NARGS
 *
 * Ops (mount .. rootro) run in the order given; `pivot` separates the ones on
 * host paths (before pivot_root) from the ones on container paths (after).
 */
#include "bootstrap.h"
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

struct cursor { char *p, *end; };

static const char *next(struct cursor *c) {
  if (c->p >= c->end) return NULL;
  char *s = c->p;
  char *z = memchr(s, 0, c->end - s);
  if (!z) return NULL;
  c->p = z + 1;
  return s;
}

#define GROW(arr, n) do { void *np_ = realloc((arr), sizeof(*(arr)) * ((n) + 1)); if (!np_) { *err = "out of memory"; return -1; } (arr) = np_; } while (0)

static unsigned long long num(const char *s) { return strtoull(s, NULL, 0); }

static int ns_type(const char *s) {
  if (!strcmp(s, "pid")) return CLONE_NEWPID;
  if (!strcmp(s, "ipc")) return CLONE_NEWIPC;
  if (!strcmp(s, "uts")) return CLONE_NEWUTS;
  if (!strcmp(s, "net")) return CLONE_NEWNET;
  if (!strcmp(s, "mnt")) return CLONE_NEWNS;
  if (!strcmp(s, "cgroup")) return CLONE_NEWCGROUP;
  return 0;
}

int bootstrap_parse(struct bootstrap *b, char *buf, size_t len, const char **err) {
  memset(b, 0, sizeof(*b));
  b->raw = buf; b->rawlen = len; b->cwd = "/";
  b->devprog_fd = -1;
  b->prenet_fd = -1;
  struct cursor c = { buf, buf + len };
  const char *k;
  const char *f[8];
#define FIELDS(n) do { for (int i_ = 0; i_ < (n); i_++) if (!(f[i_] = next(&c))) { *err = "truncated bootstrap record"; return -1; } } while (0)
  while ((k = next(&c))) {
    if (!strcmp(k, "arg")) { FIELDS(1); GROW(b->argv, b->argc + 1); b->argv[b->argc++] = (char *)f[0]; }
    else if (!strcmp(k, "env")) { FIELDS(1); GROW(b->envp, b->envc + 1); b->envp[b->envc++] = (char *)f[0]; }
    else if (!strcmp(k, "path")) { FIELDS(1); b->path_search = f[0]; }
    else if (!strcmp(k, "cwd")) { FIELDS(1); b->cwd = f[0]; }
    else if (!strcmp(k, "user")) { FIELDS(2); b->uid = num(f[0]); b->gid = num(f[1]); }
    else if (!strcmp(k, "group")) { FIELDS(1); GROW(b->groups, b->ngroups); b->groups[b->ngroups++] = num(f[0]); }
    else if (!strcmp(k, "caps")) { FIELDS(1); b->caps = strtoull(f[0], NULL, 16); }
    else if (!strcmp(k, "nnp")) b->nnp = 1;
    else if (!strcmp(k, "terminal")) b->terminal = 1;
    else if (!strcmp(k, "openstdin")) b->open_stdin = 1;
    else if (!strcmp(k, "size")) { FIELDS(2); b->rows = num(f[0]); b->cols = num(f[1]); }
    else if (!strcmp(k, "rlimit")) {
      FIELDS(3); GROW(b->rlimits, b->nrlimits);
      struct rlim *r = &b->rlimits[b->nrlimits++];
      r->res = num(f[0]);
      r->lim.rlim_cur = !strcmp(f[1], "-1") ? RLIM_INFINITY : num(f[1]);
      r->lim.rlim_max = !strcmp(f[2], "-1") ? RLIM_INFINITY : num(f[2]);
    }
    else if (!strcmp(k, "apparmor")) { FIELDS(1); b->apparmor = f[0]; }
    else if (!strcmp(k, "rootfs")) { FIELDS(1); b->rootfs = f[0]; }
    else if (!strcmp(k, "hostname")) { FIELDS(1); b->hostname = f[0]; }
    else if (!strcmp(k, "domainname")) { FIELDS(1); b->domainname = f[0]; }
    else if (!strcmp(k, "ns")) {
      FIELDS(2);
      int t = ns_type(f[0]);
      if (!t || b->nns >= 8) { *err = "bad ns record"; return -1; }
      if (!strcmp(f[1], "-")) {
        if (t == CLONE_NEWCGROUP) b->new_cgroupns = 1; else b->clone_flags |= t;
      } else {
        b->ns[b->nns].type = t; b->ns[b->nns++].path = f[1];
      }
    }
    else if (!strcmp(k, "cgroup")) { FIELDS(1); GROW(b->cgroup_procs, b->ncgroups); b->cgroup_procs[b->ncgroups++] = f[0]; }
    else if (!strcmp(k, "oomfile")) { FIELDS(1); b->oom_file = f[0]; }
    else if (!strcmp(k, "devfilter")) { FIELDS(2); b->devfilter_dir = f[0]; b->devfilter_required = !strcmp(f[1], "1"); }
    else if (!strcmp(k, "devices_v1")) { FIELDS(1); b->devices_v1_dir = f[0]; }
    else if (!strcmp(k, "devprog")) {
      FIELDS(1);
      long fd = strtol(f[0], NULL, 10);
      if (fd < 3 || fd > 1023) { *err = "bad devprog fd"; return -1; }
      b->devprog_fd = (int)fd;
    }
    else if (!strcmp(k, "devrule")) {
      FIELDS(4); GROW(b->dev_rules, b->ndev_rules);
      struct dev_rule *r = &b->dev_rules[b->ndev_rules++];
      if (strcmp(f[0], "c") && strcmp(f[0], "b") && strcmp(f[0], "a")) { *err = "bad devrule type"; return -1; }
      r->type = f[0][0];
      r->major = strcmp(f[1], "-1") ? (int)num(f[1]) : -1;
      r->minor = strcmp(f[2], "-1") ? (int)num(f[2]) : -1;
      r->access = (strchr(f[3], 'm') ? 1 : 0) | (strchr(f[3], 'r') ? 2 : 0) | (strchr(f[3], 'w') ? 4 : 0);
    }
    else if (!strcmp(k, "mount") || !strcmp(k, "mknod") || !strcmp(k, "symlink") || !strcmp(k, "mkdir") ||
             !strcmp(k, "pivot") || !strcmp(k, "mask") || !strcmp(k, "readonly") || !strcmp(k, "rootro") || !strcmp(k, "write")) {
      GROW(b->ops, b->nops);
      struct op *o = &b->ops[b->nops++];
      memset(o, 0, sizeof(*o));
      if (!strcmp(k, "mount")) {
        FIELDS(6); o->kind = OP_MOUNT;
        o->a = *f[0] ? f[0] : NULL; o->b = f[1]; o->c = *f[2] ? f[2] : NULL;
        o->flags = num(f[3]); o->e = *f[4] ? f[4] : NULL; o->mk = f[5][0];
      } else if (!strcmp(k, "mknod")) {
        FIELDS(6); o->kind = OP_MKNOD; o->a = f[0]; o->mode = num(f[1]); o->major = num(f[2]); o->minor = num(f[3]);
        o->uid = num(f[4]); o->gid = num(f[5]);
      } else if (!strcmp(k, "symlink")) {
        FIELDS(2); o->kind = OP_SYMLINK; o->a = f[0]; o->b = f[1];
      } else if (!strcmp(k, "mkdir")) {
        FIELDS(2); o->kind = OP_MKDIR; o->a = f[0]; o->mode = num(f[1]);
      } else if (!strcmp(k, "write")) {
        FIELDS(2); o->kind = OP_WRITE; o->a = f[0]; o->b = f[1];
      } else if (!strcmp(k, "pivot")) o->kind = OP_PIVOT;
      else if (!strcmp(k, "mask")) { FIELDS(1); o->kind = OP_MASK; o->a = f[0]; }
      else if (!strcmp(k, "readonly")) { FIELDS(1); o->kind = OP_READONLY; o->a = f[0]; }
      else o->kind = OP_ROOT_RO;
    }
    else if (!strcmp(k, "scmp_default")) { FIELDS(2); b->has_seccomp = 1; b->scmp_default = f[0]; b->scmp_default_errno = num(f[1]); }
    else if (!strcmp(k, "scmp_cache")) { FIELDS(1); b->scmp_cache = f[0]; }
    else if (!strcmp(k, "scmp_arch")) { FIELDS(1); GROW(b->scmp_arches, b->narches); b->scmp_arches[b->narches++] = f[0]; }
    else if (!strcmp(k, "scmp_rule")) {
      FIELDS(4); GROW(b->rules, b->nrules);
      struct scmp_rule *r = &b->rules[b->nrules++];
      r->name = f[0]; r->action = f[1]; r->err = num(f[2]); r->nargs = num(f[3]); r->args = NULL;
      if (r->nargs > 6) { *err = "too many seccomp args"; return -1; }
      if (r->nargs) {
        r->args = calloc(r->nargs, sizeof(*r->args));
        if (!r->args) { *err = "out of memory"; return -1; }
        for (unsigned i = 0; i < r->nargs; i++) {
          FIELDS(4);
          r->args[i].idx = num(f[0]); r->args[i].op = f[1];
          r->args[i].val = strtoull(f[2], NULL, 0); r->args[i].val2 = strtoull(f[3], NULL, 0);
        }
      }
    }
    else { *err = "unknown bootstrap record"; return -1; }
  }
  if (!b->argc) { *err = "no command given"; return -1; }
  GROW(b->argv, b->argc + 1); b->argv[b->argc] = NULL;
  GROW(b->envp, b->envc + 1); b->envp[b->envc] = NULL;
  return 0;
}

void bootstrap_free(struct bootstrap *b) {
  free(b->argv); free(b->envp); free(b->groups); free(b->rlimits); free(b->cgroup_procs);
  free(b->ops); free(b->scmp_arches); free(b->dev_rules);
  for (size_t i = 0; i < b->nrules; i++) free(b->rules[i].args);
  free(b->rules); free(b->prog.filter); free(b->raw);
  memset(b, 0, sizeof(*b));
}
