/**
 * Major and minor numbers of a Linux dev_t (`st_rdev`), as glibc's
 * gnu_dev_major / gnu_dev_minor split it.
 */

/** major = bits 8-19 and 32-43; minor = bits 0-7 and 20-31. */
export function devNumbers(rdev: number | bigint): { major: number; minor: number } {
  const dev = Number(rdev);
  const major = ((dev >> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  return { major, minor };
}
