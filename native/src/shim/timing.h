/* Stage timestamps for performance work: BERTH_SHIM_TIMING=1 (stderr) or =/abs/file. */
#ifndef BERTH_TIMING_H
#define BERTH_TIMING_H
void shim_mark(const char *what);
#endif
