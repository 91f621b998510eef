/* A growable byte buffer with a read offset (the shim's only container type). */
#ifndef BERTH_BYTE_BUFFER_H
#define BERTH_BYTE_BUFFER_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct buf { char *d; size_t off, len, cap; }; /* live bytes: d[off..len) */

static inline size_t buf_size(const struct buf *b) { return b->len - b->off; }

/* Room for at least n more bytes at the end (read straight into it, then buf_commit); NULL if out of memory. */
static inline char *buf_reserve(struct buf *b, size_t n) {
  if (b->off && b->off == b->len) b->off = b->len = 0;
  if (b->len + n > b->cap) {
    if (b->off) { memmove(b->d, b->d + b->off, b->len - b->off); b->len -= b->off; b->off = 0; }
    if (b->len + n > b->cap) {
      size_t nc = b->cap ? b->cap : 4096;
      while (nc < b->len + n) nc *= 2;
      char *nd = realloc(b->d, nc);
      if (!nd) return NULL;
      b->d = nd; b->cap = nc;
    }
  }
  return b->d + b->len;
}

/* Counts n bytes written into the room buf_reserve gave. */
static inline void buf_commit(struct buf *b, size_t n) { b->len += n; }

/* Appends n bytes; -1 if out of memory. */
static inline int buf_add(struct buf *b, const void *p, size_t n) {
  if (n == 0) return 0; /* an empty buffer has no room pointer to return */
  char *room = buf_reserve(b, n);
  if (!room) return -1;
  memcpy(room, p, n);
  buf_commit(b, n);
  return 0;
}

static inline int buf_frame(struct buf *b, int stream, const void *p, size_t n) {
  unsigned char h[5] = { (unsigned char)stream, (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8), (unsigned char)n };
  if (buf_add(b, h, 5)) return -1;
  return buf_add(b, p, n);
}

static inline void buf_consume(struct buf *b, size_t n) { b->off += n; if (b->off >= b->len) b->off = b->len = 0; }
static inline void buf_free(struct buf *b) { free(b->d); memset(b, 0, sizeof(*b)); }
#endif
