/*
 * berth-shim: one per container. Usage: berth-shim [--fork] <stateDir>, or
 * forked by `berth-shim --zygote` (zygote.c), which serves the daemon's start
 * requests and returns into main() in each new shim.
 *
 * Reads the PID 1 bootstrap from stdin (until EOF), starts the container
 * (process-start.c), answers `ok <pid>` / `err <message>` on stdout, then
 * lives on its own: it holds the container's stdio, reaps PID 1 and its exec'd
 * processes, writes `<stateDir>/exit.json` atomically when PID 1 exits, and
 * serves `<stateDir>/shim.sock` (protocol in common/berth-shim-proto.h).
 * Single-threaded: one poll() loop; SIGCHLD arrives through a signalfd.
 *
 * Output of a process nobody is attached to is kept (up to
 * BERTH_BACKLOG_MAX; beyond it the shim stops reading, so the container
 * blocks instead of losing output) and replayed to the next attacher.
 * PID 1's output has a *log attach* (the daemon's log copier): from the first
 * one on, the same buffer keeps every byte until the log client acknowledges
 * it, with running per-stream offsets, so a daemon killed between reading and
 * storing output gets it again from its successor's log attach, which says
 * from which offsets to resume (no loss, no duplicate).
 * The shim exits once PID 1's status was collected (`wait`) and its output
 * delivered, or on `shutdown`.
 */
#include "berth-shim-proto.h"
#include "byte-buffer.h"
#include "process-start.h"
#include "timing.h"
#include "zygote.h"
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define CLIENT_OUT_HIGH (1u << 20)
/* Room reserved per read of the bootstrap (read straight into the buffer: no stack buffer). */
#define READ_CHUNK (16u << 10)
/* Output is read 64 KiB (a pipe's capacity) at a time: a 16 KiB buffer measured
 * ~8% fewer lines/s in bench:logs, and this frame is only touched (and kept
 * resident) by a shim whose processes write output. */
#define OUTPUT_CHUNK (64u << 10)

struct proc {
  pid_t pid;
  int is_init;
  int in_fd, out_fd, err_fd, master;
  int exited, finalized, raw_status, oom;
  char status[256];
  struct buf backlog;   /* frames kept while nobody is attached; PID 1 in log mode: frames not yet acknowledged */
  /* PID 1 only: payload offsets per stream (index 1 stdout, 2 stderr) */
  unsigned long long sent[3];   /* bytes read from the process */
  unsigned long long base[3];   /* offset of the first byte kept in backlog */
  int log_mode;                 /* a log attach happened: backlog = unacknowledged output */
  int has_ckpt;
  unsigned long long ckpt[3];   /* last acknowledged (or log attach) position */
  char mark[BERTH_MARK_MAX + 1];
  struct buf inq;       /* stdin bytes waiting to be written */
  int close_stdin;      /* close in_fd once inq drained */
  struct proc *next;
};

enum cmode { C_CMD, C_EXEC_BODY, C_ATTACH, C_WAIT, C_DONE };
struct client {
  int fd;
  enum cmode mode;
  struct proc *p;
  size_t exec_len;
  int shutdown_reply;  /* a C_WAIT client that asked for shutdown: answer `ok` */
  int is_log;          /* PID 1's log attach: acknowledges output, stays after the exit frame */
  struct buf in, out;
  struct client *next;
};

static struct proc *procs;
static struct client *clients;
static struct proc *init_proc;
static const char *oom_file;
static char oom_path[4096];
static int collected, shutdown_req;
static int listen_fd = -1, sig_fd = -1;
static ino_t sock_ino, pid_ino;

/* Unlinks `name` only if it is still the file we created (a newer shim may own the path now). */
static void unlink_if_ours(const char *name, ino_t ino) {
  struct stat st;
  if (ino && lstat(name, &st) == 0 && st.st_ino == ino) unlink(name);
}

static void set_nonblock(int fd) { if (fd >= 0) fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

static struct proc *proc_new(const struct started *s, int is_init) {
  struct proc *p = calloc(1, sizeof(*p));
  p->pid = s->pid; p->is_init = is_init;
  p->in_fd = s->in_fd; p->out_fd = s->out_fd; p->err_fd = s->err_fd; p->master = s->master;
  set_nonblock(p->in_fd); set_nonblock(p->out_fd); set_nonblock(p->err_fd);
  p->next = procs; procs = p;
  return p;
}

static struct proc *proc_find(pid_t pid) {
  if (pid == 0) return init_proc;
  for (struct proc *p = procs; p; p = p->next) if (p->pid == pid) return p;
  return NULL;
}

static int attached_count(struct proc *p) {
  int n = 0;
  for (struct client *c = clients; c; c = c->next) if (c->mode == C_ATTACH && c->p == p) n++;
  return n;
}

/* Whether output of p may be read now (backpressure). */
static int can_read_output(struct proc *p) {
  int n = 0;
  for (struct client *c = clients; c; c = c->next) {
    if (c->mode != C_ATTACH || c->p != p) continue;
    n++;
    if (buf_size(&c->out) > CLIENT_OUT_HIGH) return 0;
  }
  if (p->log_mode) return buf_size(&p->backlog) < BERTH_BACKLOG_MAX;
  return n ? 1 : buf_size(&p->backlog) < BERTH_BACKLOG_MAX;
}

static void deliver(struct proc *p, int stream, const char *data, size_t n) {
  int any = 0;
  if (stream == BERTH_FRAME_STDOUT || stream == BERTH_FRAME_STDERR) p->sent[stream] += n;
  for (struct client *c = clients; c; c = c->next)
    if (c->mode == C_ATTACH && c->p == p) { buf_frame(&c->out, stream, data, n); any = 1; }
  if (!any || p->log_mode) buf_frame(&p->backlog, stream, data, n);
}

/* Frees the kept frames that lie wholly below the offsets `upto` (per stream), oldest first. */
static void kept_trim(struct proc *p, unsigned long long up_out, unsigned long long up_err) {
  while (buf_size(&p->backlog) >= BERTH_FRAME_HDR) {
    unsigned char *h = (unsigned char *)p->backlog.d + p->backlog.off;
    size_t len = ((size_t)h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4];
    int st = h[0] == BERTH_FRAME_STDERR ? BERTH_FRAME_STDERR : BERTH_FRAME_STDOUT;
    if (p->base[st] + len > (st == BERTH_FRAME_STDOUT ? up_out : up_err)) return;
    p->base[st] += len;
    buf_consume(&p->backlog, BERTH_FRAME_HDR + len);
  }
}

/* Queues to `c` the kept output from the offsets `from` on (clamped to what is kept), setting `from` to where it starts. */
static void kept_replay(struct proc *p, struct client *c, unsigned long long from[3]) {
  unsigned long long at[3] = { 0, p->base[1], p->base[2] };
  for (int i = 1; i <= 2; i++) {
    if (from[i] < p->base[i]) from[i] = p->base[i];
    if (from[i] > p->sent[i]) from[i] = p->sent[i];
  }
  for (size_t o = p->backlog.off; o + BERTH_FRAME_HDR <= p->backlog.len;) {
    unsigned char *h = (unsigned char *)p->backlog.d + o;
    size_t len = ((size_t)h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4];
    int st = h[0] == BERTH_FRAME_STDERR ? BERTH_FRAME_STDERR : BERTH_FRAME_STDOUT;
    if (at[st] + len > from[st]) {
      size_t skip = from[st] > at[st] ? (size_t)(from[st] - at[st]) : 0;
      buf_frame(&c->out, h[0], (char *)h + BERTH_FRAME_HDR + skip, len - skip);
    }
    at[st] += len;
    o += BERTH_FRAME_HDR + len;
  }
}

/* Reads what is available; returns 0 at EOF/EIO (fd closed), 1 otherwise. */
static int pump_output(struct proc *p, int *fdp, int stream, int drain) {
  char chunk[OUTPUT_CHUNK];
  for (;;) {
    if (!drain && !can_read_output(p)) return 1;
    ssize_t n = read(*fdp, chunk, sizeof(chunk));
    if (n > 0) { deliver(p, stream, chunk, n); if (!drain) return 1; continue; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) return 1;
    /* EOF, or EIO from a pty master whose slave is gone */
    if (*fdp == p->in_fd) p->in_fd = -1;
    close(*fdp);
    if (p->master == *fdp) p->master = -1;
    *fdp = -1;
    return 0;
  }
}

static void format_time(char *out, size_t n) {
  struct timespec ts;
  struct tm tm;
  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  size_t k = strftime(out, n, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out + k, n - k, ".%09ldZ", ts.tv_nsec);
}

static int read_oom_kills(void) {
  if (!oom_file) return 0;
  FILE *f = fopen(oom_file, "re");
  if (!f) return 0;
  char line[128];
  int n = 0;
  while (fgets(line, sizeof(line), f)) {
    long v;
    if (sscanf(line, "oom_kill %ld", &v) == 1 && v > 0) n = 1;
  }
  fclose(f);
  return n;
}

static void write_status_file(const char *json) {
  char tmp[64];
  snprintf(tmp, sizeof(tmp), ".%s.%d.tmp", BERTH_SHIM_STATUS, getpid());
  int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0) return;
  size_t len = strlen(json);
  if (write(fd, json, len) != (ssize_t)len || write(fd, "\n", 1) != 1 || fsync(fd) < 0) { close(fd); unlink(tmp); return; }
  close(fd);
  if (rename(tmp, BERTH_SHIM_STATUS) < 0) { unlink(tmp); return; }
  int dfd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) { fsync(dfd); close(dfd); }
}

static void reply(struct client *c, const char *s);
static void mark(const char *what);

static void finalize(struct proc *p) {
  if (p->out_fd >= 0) while (pump_output(p, &p->out_fd, BERTH_FRAME_STDOUT, 1)) break;
  if (p->err_fd >= 0) while (pump_output(p, &p->err_fd, BERTH_FRAME_STDERR, 1)) break;
  int fds[] = { p->in_fd, p->out_fd, p->err_fd, p->master };
  for (int i = 0; i < 4; i++) {
    if (fds[i] < 0) continue;
    int dup = 0;
    for (int j = 0; j < i; j++) if (fds[j] == fds[i]) dup = 1;
    if (!dup) close(fds[i]);
  }
  p->in_fd = p->out_fd = p->err_fd = p->master = -1;
  int code, sig = 0;
  if (WIFSIGNALED(p->raw_status)) { sig = WTERMSIG(p->raw_status); code = 128 + sig; }
  else code = WEXITSTATUS(p->raw_status);
  if (p->is_init) p->oom = read_oom_kills();
  char when[64];
  format_time(when, sizeof(when));
  if (sig) {
    const char *abbrev = sigabbrev_np(sig);
    snprintf(p->status, sizeof(p->status), "{\"exitCode\":%d,\"signal\":\"SIG%s\",\"oomKilled\":%s,\"finishedAt\":\"%s\"}",
             code, abbrev ? abbrev : "UNKNOWN", p->oom ? "true" : "false", when);
  } else {
    snprintf(p->status, sizeof(p->status), "{\"exitCode\":%d,\"oomKilled\":%s,\"finishedAt\":\"%s\"}",
             code, p->oom ? "true" : "false", when);
  }
  if (p->is_init) { mark("reaped"); write_status_file(p->status); mark("status-written"); }
  p->finalized = 1;
  for (struct client *c = clients; c; c = c->next) {
    if (c->p != p) continue;
    if (c->mode == C_ATTACH) { buf_frame(&c->out, BERTH_FRAME_EXIT, p->status, strlen(p->status)); if (!c->is_log) c->mode = C_DONE; }
    else if (c->mode == C_WAIT && c->shutdown_reply) { reply(c, "ok\n"); c->mode = C_DONE; }
    else if (c->mode == C_WAIT) {
      buf_add(&c->out, p->status, strlen(p->status)); buf_add(&c->out, "\n", 1); c->mode = C_DONE;
      if (p->is_init) collected = 1;
    }
  }
}

/* Keeps the statuses of the last KEEP_EXECS finished execs (for `wait <pid>`), frees older ones. */
#define KEEP_EXECS 64
static void prune_execs(void) {
  int kept = 0;
  for (struct proc **pp = &procs; *pp;) {
    struct proc *p = *pp;
    int referenced = 0;
    for (struct client *c = clients; c; c = c->next) if (c->p == p) referenced = 1;
    if (!p->is_init && p->finalized && !referenced && ++kept > KEEP_EXECS) {
      *pp = p->next;
      buf_free(&p->backlog); buf_free(&p->inq);
      free(p);
      continue;
    }
    pp = &p->next;
  }
}

static void reap(void) {
  struct signalfd_siginfo si;
  while (read(sig_fd, &si, sizeof(si)) == sizeof(si)) { }
  for (;;) {
    int st;
    pid_t pid = waitpid(-1, &st, WNOHANG);
    if (pid <= 0) break;
    for (struct proc *p = procs; p; p = p->next)
      if (p->pid == pid && !p->exited) { p->exited = 1; p->raw_status = st; finalize(p); }
  }
}

static void reply(struct client *c, const char *s) { buf_add(&c->out, s, strlen(s)); }

static void start_attach(struct client *c, struct proc *p) {
  c->p = p;
  if (!p->log_mode && !attached_count(p) && buf_size(&p->backlog)) {
    buf_add(&c->out, p->backlog.d + p->backlog.off, buf_size(&p->backlog));
    kept_trim(p, ~0ULL, ~0ULL);
    buf_consume(&p->backlog, buf_size(&p->backlog));
  }
  if (p->finalized) {
    buf_frame(&c->out, BERTH_FRAME_EXIT, p->status, strlen(p->status));
    c->mode = c->is_log ? C_ATTACH : C_DONE;
  } else c->mode = C_ATTACH;
}

/* `attach 0 log <out> <err> <mark>`: the (single) log attach of PID 1. */
static void start_log_attach(struct client *c, const char *sout, const char *serr, const char *mark) {
  struct proc *p = init_proc;
  for (struct client *o = clients; o; o = o->next)
    if (o != c && o->is_log) { o->is_log = 0; o->mode = C_DONE; buf_consume(&o->out, buf_size(&o->out)); }
  unsigned long long from[3] = { 0, 0, 0 };
  from[1] = strcmp(sout, "-") ? strtoull(sout, NULL, 10) : 0;
  from[2] = strcmp(serr, "-") ? strtoull(serr, NULL, 10) : 0;
  struct client tmp = { 0 };
  kept_replay(p, &tmp, from);
  p->log_mode = 1;
  /* what lies before the resume point is stored by the consumer */
  kept_trim(p, from[1], from[2]);
  p->has_ckpt = 1;
  p->ckpt[1] = from[1]; p->ckpt[2] = from[2];
  snprintf(p->mark, sizeof(p->mark), "%s", mark);
  char line[128];
  snprintf(line, sizeof(line), "ok log %llu %llu\n", from[1], from[2]);
  reply(c, line);
  if (buf_size(&tmp.out)) buf_add(&c->out, tmp.out.d + tmp.out.off, buf_size(&tmp.out));
  buf_free(&tmp.out);
  c->is_log = 1;
  start_attach(c, p);
}

/* An ack frame from the log client: `<out> <err> <mark>`. */
static void log_ack(struct proc *p, const char *data, size_t len) {
  char text[BERTH_MARK_MAX + 64], mark[BERTH_MARK_MAX + 1];
  if (len >= sizeof(text)) return;
  memcpy(text, data, len); text[len] = 0;
  unsigned long long o, e;
  if (sscanf(text, "%llu %llu %95s", &o, &e, mark) != 3) return;
  if (o < p->ckpt[1] || e < p->ckpt[2]) return; /* stale */
  if (o > p->sent[1]) o = p->sent[1];
  if (e > p->sent[2]) e = p->sent[2];
  p->ckpt[1] = o; p->ckpt[2] = e;
  snprintf(p->mark, sizeof(p->mark), "%s", mark);
  kept_trim(p, o, e);
}

static void handle_command(struct client *c, char *line) {
  char verb[16] = "";
  long a = 0, b = 0, d = 0;
  int n = sscanf(line, "%15s %ld %ld %ld", verb, &a, &b, &d);
  char out[512];
  if (n < 1) { reply(c, "err empty request\n"); c->mode = C_DONE; return; }
  if (!strcmp(verb, "state")) {
    if (init_proc->finalized) snprintf(out, sizeof(out), "exited %s\n", init_proc->status);
    else snprintf(out, sizeof(out), "running %d\n", init_proc->pid);
    reply(c, out); c->mode = C_DONE; return;
  }
  if (!strcmp(verb, "shutdown")) {
    /* answers once PID 1's status is recorded, so the caller can clean up after */
    shutdown_req = 1;
    if (init_proc->finalized) { reply(c, "ok\n"); c->mode = C_DONE; return; }
    if (!init_proc->exited) kill(init_proc->pid, SIGKILL);
    c->p = init_proc; c->mode = C_WAIT; c->shutdown_reply = 1; return;
  }
  if (!strcmp(verb, "ackpos")) {
    if (init_proc->has_ckpt) snprintf(out, sizeof(out), "ok %llu %llu %s\n", init_proc->ckpt[1], init_proc->ckpt[2], init_proc->mark);
    else snprintf(out, sizeof(out), "none\n");
    reply(c, out); c->mode = C_DONE; return;
  }
  if (!strcmp(verb, "attach") && n == 2 && a == 0) {
    char sout[32], serr[32], mark[BERTH_MARK_MAX + 1];
    if (sscanf(line, "attach 0 log %31s %31s %95s", sout, serr, mark) == 3) { start_log_attach(c, sout, serr, mark); return; }
  }
  if (!strcmp(verb, "exec")) {
    if (n < 2 || a <= 0 || a > (64 << 20)) { reply(c, "err bad exec length\n"); c->mode = C_DONE; return; }
    if (init_proc->exited) { reply(c, "err container is not running\n"); c->mode = C_DONE; return; }
    c->exec_len = a; c->mode = C_EXEC_BODY; return;
  }
  struct proc *p = n >= 2 ? proc_find(a) : NULL;
  if (!p) { reply(c, "err no such process\n"); c->mode = C_DONE; return; }
  if (!strcmp(verb, "wait")) {
    if (p->finalized) { reply(c, p->status); reply(c, "\n"); c->mode = C_DONE; if (p->is_init) collected = 1; }
    else { c->p = p; c->mode = C_WAIT; }
  } else if (!strcmp(verb, "signal") && n >= 3) {
    if (p->exited) reply(c, "err process has exited\n");
    else if (kill(p->pid, b) < 0) { snprintf(out, sizeof(out), "err %s\n", strerror(errno)); reply(c, out); }
    else reply(c, "ok\n");
    c->mode = C_DONE;
  } else if (!strcmp(verb, "resize") && n >= 4) {
    struct winsize ws = { .ws_row = b, .ws_col = d };
    if (p->master < 0) reply(c, "err process has no terminal\n");
    else if (ioctl(p->master, TIOCSWINSZ, &ws) < 0) { snprintf(out, sizeof(out), "err %s\n", strerror(errno)); reply(c, out); }
    else reply(c, "ok\n");
    c->mode = C_DONE;
  } else if (!strcmp(verb, "attach")) {
    reply(c, "ok\n");
    start_attach(c, p);
  } else { reply(c, "err unknown request\n"); c->mode = C_DONE; }
}

static void handle_exec(struct client *c) {
  char *body = malloc(c->exec_len);
  memcpy(body, c->in.d + c->in.off, c->exec_len);
  buf_consume(&c->in, c->exec_len);
  struct bootstrap b;
  const char *err = NULL;
  char msg[512];
  if (bootstrap_parse(&b, body, c->exec_len, &err)) {
    snprintf(msg, sizeof(msg), "err bad exec bootstrap: %s\n", err);
    reply(c, msg); c->mode = C_DONE; bootstrap_free(&b); return;
  }
  struct started s;
  if (process_start(&b, init_proc->pid, &s, msg, sizeof(msg) - 8)) {
    char line[600];
    snprintf(line, sizeof(line), "err %s\n", msg);
    reply(c, line); c->mode = C_DONE;
  } else {
    struct proc *p = proc_new(&s, 0);
    snprintf(msg, sizeof(msg), "ok %d\n", p->pid);
    reply(c, msg);
    start_attach(c, p);
  }
  bootstrap_free(&b);
}

/* Handles bytes a client sent. Returns -1 to drop the client. */
static int client_input(struct client *c) {
  for (;;) {
    if (c->mode == C_CMD) {
      char *s = c->in.d + c->in.off;
      char *nl = memchr(s, '\n', buf_size(&c->in));
      if (!nl) return buf_size(&c->in) > 4096 ? -1 : 0;
      *nl = 0;
      size_t used = nl - s + 1;
      char line[4100];
      memcpy(line, s, used);
      buf_consume(&c->in, used);
      handle_command(c, line);
    } else if (c->mode == C_EXEC_BODY) {
      if (buf_size(&c->in) < c->exec_len) return 0;
      handle_exec(c);
    } else if (c->mode == C_ATTACH) {
      if (buf_size(&c->in) < BERTH_FRAME_HDR) return 0;
      unsigned char *h = (unsigned char *)c->in.d + c->in.off;
      size_t len = ((size_t)h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4];
      if (buf_size(&c->in) < BERTH_FRAME_HDR + len) return 0;
      struct proc *p = c->p;
      if (h[0] == BERTH_FRAME_ACK && c->is_log) log_ack(p, c->in.d + c->in.off + BERTH_FRAME_HDR, len);
      else if (h[0] == BERTH_FRAME_STDIN && p->in_fd >= 0) {
        if (len) buf_add(&p->inq, c->in.d + c->in.off + BERTH_FRAME_HDR, len);
        else if (p->master < 0) p->close_stdin = 1;
        else { char eot = 4; buf_add(&p->inq, &eot, 1); }
      }
      buf_consume(&c->in, BERTH_FRAME_HDR + len);
    } else {
      buf_consume(&c->in, buf_size(&c->in));
      return 0;
    }
  }
}

static void client_free(struct client *c) {
  for (struct client **pp = &clients; *pp; pp = &(*pp)->next) if (*pp == c) { *pp = c->next; break; }
  close(c->fd);
  buf_free(&c->in); buf_free(&c->out);
  free(c);
}

static void flush_stdin(struct proc *p) {
  while (p->in_fd >= 0 && buf_size(&p->inq)) {
    ssize_t n = write(p->in_fd, p->inq.d + p->inq.off, buf_size(&p->inq));
    if (n > 0) { buf_consume(&p->inq, n); continue; }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    buf_consume(&p->inq, buf_size(&p->inq));
    if (p->master < 0) { close(p->in_fd); p->in_fd = -1; }
    return;
  }
  if (p->close_stdin && p->in_fd >= 0 && p->master < 0) { close(p->in_fd); p->in_fd = -1; p->close_stdin = 0; }
}

static int should_exit(void) {
  if (!init_proc->finalized) return 0;
  if (!shutdown_req && !(collected && !buf_size(&init_proc->backlog))) return 0;
  for (struct client *c = clients; c; c = c->next) if (buf_size(&c->out)) return 0;
  return 1;
}

static void loop(void) {
  struct pollfd pfd[1024];
  void *who[1024];
  int kind[1024];
  for (;;) {
    if (should_exit()) return;
    int n = 0;
    pfd[n] = (struct pollfd){ sig_fd, POLLIN, 0 }; kind[n] = 0; who[n++] = NULL;
    pfd[n] = (struct pollfd){ listen_fd, POLLIN, 0 }; kind[n] = 1; who[n++] = NULL;
    for (struct proc *p = procs; p && n < 1000; p = p->next) {
      if (p->finalized) continue;
      int rd = can_read_output(p);
      if (p->out_fd >= 0 && rd) { pfd[n] = (struct pollfd){ p->out_fd, POLLIN, 0 }; kind[n] = 2; who[n++] = p; }
      if (p->err_fd >= 0 && rd) { pfd[n] = (struct pollfd){ p->err_fd, POLLIN, 0 }; kind[n] = 3; who[n++] = p; }
      if (p->in_fd >= 0 && buf_size(&p->inq) && p->master < 0) { pfd[n] = (struct pollfd){ p->in_fd, POLLOUT, 0 }; kind[n] = 4; who[n++] = p; }
    }
    for (struct client *c = clients; c && n < 1020; c = c->next) {
      short ev = POLLIN;
      if (buf_size(&c->out)) ev |= POLLOUT;
      pfd[n] = (struct pollfd){ c->fd, ev, 0 }; kind[n] = 5; who[n++] = c;
    }
    int r = poll(pfd, n, -1);
    if (r < 0) { if (errno == EINTR) continue; return; }
    for (int i = 0; i < n; i++) {
      if (!pfd[i].revents) continue;
      if (kind[i] == 0) { mark("sigchld"); reap(); }
      else if (kind[i] == 1) {
        int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        mark("accept"); if (fd >= 0) { struct client *c = calloc(1, sizeof(*c)); c->fd = fd; c->mode = C_CMD; c->next = clients; clients = c; }
      } else if (kind[i] == 2 || kind[i] == 3) {
        struct proc *p = who[i];
        if (p->finalized) continue;
        if (kind[i] == 2 && p->out_fd >= 0) pump_output(p, &p->out_fd, BERTH_FRAME_STDOUT, 0);
        if (kind[i] == 3 && p->err_fd >= 0) pump_output(p, &p->err_fd, BERTH_FRAME_STDERR, 0);
      } else if (kind[i] == 4) flush_stdin(who[i]);
    }
    /* clients last: earlier handlers may have freed nothing, but may have queued output */
    for (int i = 0; i < n; i++) {
      if (kind[i] != 5 || !pfd[i].revents) continue;
      struct client *c = who[i];
      int drop = 0;
      if (pfd[i].revents & POLLIN) {
        /* requests and acks are small: no more room than 4 KiB (a log attach lives as long as the container) */
        char *room = buf_reserve(&c->in, 4096);
        ssize_t k = room ? read(c->fd, room, c->in.cap - c->in.len) : -1;
        if (k > 0) { buf_commit(&c->in, k); if (client_input(c) < 0) drop = 1; }
        else if (!room || k == 0 || (errno != EAGAIN && errno != EINTR)) drop = 1;
      } else if (pfd[i].revents & (POLLHUP | POLLERR)) drop = 1;
      if (!drop && buf_size(&c->out)) {
        ssize_t k = send(c->fd, c->out.d + c->out.off, buf_size(&c->out), MSG_NOSIGNAL);
        if (k > 0) buf_consume(&c->out, k);
        else if (k < 0 && errno != EAGAIN && errno != EINTR) drop = 1;
      }
      if (!drop && c->mode == C_DONE && !buf_size(&c->out)) drop = 1;
      if (drop) client_free(c);
    }
    for (struct proc *p = procs; p; p = p->next) if (p->master >= 0 && buf_size(&p->inq)) flush_stdin(p);
    for (struct proc *p = procs; p; p = p->next) if (p->master < 0 && p->close_stdin) flush_stdin(p);
    /* last: nothing of this iteration (pollfd owners) may point at a freed proc */
    prune_execs();
  }
}

static int read_all(int fd, char **out, size_t *len) {
  struct buf b = { 0 };
  for (;;) {
    char *room = buf_reserve(&b, READ_CHUNK);
    if (!room) { buf_free(&b); return -1; }
    ssize_t n = read(fd, room, READ_CHUNK);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) { buf_free(&b); return -1; }
    if (n == 0) break;
    buf_commit(&b, n);
  }
  if (!b.d) b.d = malloc(1);
  *out = b.d; *len = b.len;
  return 0;
}

static void mark(const char *what) { shim_mark(what); }

static void answer(const char *s) {
  size_t len = strlen(s);
  ssize_t w = write(1, s, len);
  (void)w;
}

/*
 * BERTH_SHIM_PRENET=1 (the daemon's hint for a container with a private
 * network namespace): create that namespace now, while the daemon is still
 * building the bootstrap, instead of in clone() (~0.4 ms: setup_net runs every
 * pernet init), and bring its lo up. The shim steps back into its own network namespace at once
 * and keeps an fd; process_start hands it to the child (setns). Returns -1
 * when it cannot step back (the shim must not serve from that namespace).
 */
static int prenet_lo_up;
static int prepare_netns(void) {
  const char *v = getenv("BERTH_SHIM_PRENET");
  int want = v && !strcmp(v, "1");
  /* made ahead by the zygote's spare (it guessed from the previous start) */
  int fd = zygote_take_netns(&prenet_lo_up);
  if (fd >= 0 && !want) { close(fd); fd = -1; }
  if (fd >= 0 || !want) { if (fd >= 0) mark("prenet"); return fd; }
  if (make_netns(&fd, &prenet_lo_up) < 0) {
    char m[256]; snprintf(m, sizeof(m), "err container setup failed at network namespace: %s\n", strerror(errno)); answer(m); _exit(1);
  }
  mark("prenet");
  return fd;
}


int main(int argc, char **argv) {
  /* --zygote: serve start requests of the daemon (zygote.c); returns here in each new shim */
  if (argc >= 2 && !strcmp(argv[1], "--zygote")) {
    const char *dir = zygote_serve(argc, argv);
    if (!dir) return 0;
    mark("exec");
    argv[1] = (char *)dir;
    argc = 2;
  } else mark("exec");
  /* --fork: leave the spawner at once (the caller reaps the intermediate), so the
   * shim is nobody's child but init's / the subreaper's. */
  if (argc == 3 && !strcmp(argv[1], "--fork")) {
    pid_t p = fork();
    if (p < 0) { answer("err container setup failed at fork shim: cannot fork\n"); return 1; }
    if (p > 0) _exit(0);
    argv[1] = argv[2];
    argc = 2;
  }
  if (argc != 2) { fprintf(stderr, "usage: berth-shim [--fork] <stateDir> | berth-shim --zygote [room for a state directory]\n"); return 2; }
  int prenet_fd = prepare_netns();
  if (chdir(argv[1]) < 0) { char m[512]; snprintf(m, sizeof(m), "err container setup failed at state directory: %s\n", strerror(errno)); answer(m); return 1; }
  signal(SIGPIPE, SIG_IGN);
  mark("start");
  char *raw; size_t rawlen;
  if (read_all(0, &raw, &rawlen) < 0) { answer("err container setup failed at read bootstrap: I/O error\n"); return 1; }
  struct bootstrap b;
  const char *perr = NULL;
  if (bootstrap_parse(&b, raw, rawlen, &perr)) {
    char m[256]; snprintf(m, sizeof(m), "err container setup failed at bootstrap: %s\n", perr); answer(m); return 1;
  }
  oom_file = b.oom_file;
  b.prenet_fd = prenet_fd;
  b.prenet_lo_up = prenet_fd >= 0 && prenet_lo_up;
  mark("parsed");

  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  unlink(BERTH_SHIM_SOCK);
  unlink(BERTH_SHIM_STATUS);
  listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  strcpy(sa.sun_path, BERTH_SHIM_SOCK);
  if (bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(listen_fd, 64) < 0) {
    char m[256]; snprintf(m, sizeof(m), "err container setup failed at shim socket: %s\n", strerror(errno)); answer(m); return 1;
  }
  struct stat sst;
  if (lstat(BERTH_SHIM_SOCK, &sst) == 0) sock_ino = sst.st_ino;
  struct started s;
  char msg[600];
  mark("socket");
  if (process_start(&b, 0, &s, msg, sizeof(msg))) {
    unlink_if_ours(BERTH_SHIM_SOCK, sock_ino);
    char line[700]; snprintf(line, sizeof(line), "err %s\n", msg); answer(line); return 1;
  }
  init_proc = proc_new(&s, 1);
  /* The bootstrap, the compiled seccomp program and libseccomp's working set
   * (~0.9 MiB of heap when the filter was not cached) are not needed once PID 1
   * runs: keep the one path the shim still reads, free the rest and give the
   * heap back (malloc_trim also releases free pages below a live chunk). Before
   * the answer (measured: ~0.02 ms): whoever sees the start done sees the small heap. */
  if (oom_file && strlen(oom_file) < sizeof(oom_path)) { strcpy(oom_path, oom_file); oom_file = oom_path; }
  else oom_file = NULL;
  bootstrap_free(&b);
  malloc_trim(0);
  char pidline[64];
  snprintf(pidline, sizeof(pidline), "%d %d\n", getpid(), s.pid);
  int pf = open(BERTH_SHIM_PIDFILE, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
  if (pf >= 0) {
    ssize_t w = write(pf, pidline, strlen(pidline)); (void)w;
    struct stat pst;
    if (fstat(pf, &pst) == 0) pid_ino = pst.st_ino;
    close(pf);
  }
  snprintf(pidline, sizeof(pidline), "ok %d\n", s.pid);
  mark("started");
  answer(pidline);
  int devnull = open("/dev/null", O_RDWR);
  int logfd = open("shim.log", O_CREAT | O_APPEND | O_WRONLY, 0600);
  dup2(devnull, 0); dup2(devnull, 1); dup2(logfd >= 0 ? logfd : devnull, 2);
  if (devnull > 2) close(devnull);
  if (logfd > 2) close(logfd);
  loop();
  mark("loop-exit");
  unlink_if_ours(BERTH_SHIM_SOCK, sock_ino);
  unlink_if_ours(BERTH_SHIM_PIDFILE, pid_ino);
  return 0;
}
