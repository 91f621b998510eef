/** Body schema of `POST /volumes/create` (v1.41 swagger VolumeCreateOptions). */
import type { JSONSchema } from '../../plugins/manifest';
import { nullable, str, strMap } from './common';

/** `POST /volumes/create`. */
export const volumeCreateSchema: JSONSchema = {
  type: 'object',
  properties: { Name: str, Driver: str, DriverOpts: nullable(strMap), Labels: nullable(strMap) },
};
