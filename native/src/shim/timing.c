/* See timing.h. Shim side only (never called in the cloned child). */
#include "timing.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

static int state = -1;
static const char *dst;
static int timing_on(void) {
  if (state < 0) { dst = getenv("BERTH_SHIM_TIMING"); state = dst != NULL; }
  return state;
}

struct child_marks { int n; struct { const char *what; struct timespec ts; } m[32]; };
static struct child_marks *cm;

void child_mark(const char *what) {
  if (!cm || cm->n >= 32) return;
  clock_gettime(CLOCK_MONOTONIC, &cm->m[cm->n].ts);
  cm->m[cm->n++].what = what;
}

void child_marks_setup(void) {
  if (!timing_on() || cm) return;
  void *p = mmap(NULL, sizeof(*cm), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p != MAP_FAILED) { cm = p; cm->n = 0; }
}

static void emit(const char *what, struct timespec ts) {
  FILE *f = dst[0] == '/' ? fopen(dst, "ae") : stderr;
  if (!f) return;
  fprintf(f, "shim-timing %d %s %.3f\n", getpid(), what, ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
  if (f != stderr) fclose(f);
}

void child_marks_flush(void) {
  if (!cm) return;
  for (int i = 0; i < cm->n; i++) emit(cm->m[i].what, cm->m[i].ts);
  cm->n = 0;
}

void shim_mark(const char *what) {
  if (!timing_on()) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  emit(what, ts);
}
