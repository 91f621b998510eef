/** Writes under /proc/sys; the key is given as path parts so interface names may hold dots. */
import { promises as fsp } from 'node:fs';
import { InternalError } from '../../core';

/** Sets e.g. ['net','ipv4','ip_forward'] to `value`; InternalError naming the key when it cannot. */
export async function setSysctl(key: string[], value: string): Promise<void> {
  const file = '/proc/sys/' + key.join('/');
  try {
    await fsp.writeFile(file, value);
  } catch (err) {
    throw new InternalError(`sysctl ${key.join('.')}=${value}: ${(err as Error).message}`, { cause: err });
  }
}
