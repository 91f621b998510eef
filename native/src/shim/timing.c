/* See timing.h. Shim side only (never called in the cloned child). */
#include "timing.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

void shim_mark(const char *what) {
  static int state = -1;
  static const char *dst;
  if (state < 0) { dst = getenv("BERTH_SHIM_TIMING"); state = dst != NULL; }
  if (!state) return;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  FILE *f = dst[0] == '/' ? fopen(dst, "ae") : stderr;
  if (!f) return;
  fprintf(f, "shim-timing %d %s %.3f\n", getpid(), what, ts.tv_sec * 1e3 + ts.tv_nsec / 1e6);
  if (f != stderr) fclose(f);
}
