/** The volume.* jobs: Docker's `/volumes` routes, inputs and outputs in the API's shapes. */
import type { Engine } from '../engine/engine';
import { InvalidArgumentError } from '../errors';
import type { DockerVolume, Filters, VolumeCreateBody } from './types';
import type { VolumeService } from './volume-service';
import { compileSchema, type SchemaOptions } from '../validation/compile-schema';

declare module '../engine/job-map' {
  interface JobMap {
    'volume.create': { input: { body: VolumeCreateBody }; output: DockerVolume };
    'volume.list': { input: { filters?: Filters | string }; output: { Volumes: DockerVolume[]; Warnings: string[] } };
    'volume.inspect': { input: { name: string }; output: DockerVolume };
    'volume.remove': { input: { name: string; force?: boolean }; output: void };
    'volume.prune': { input: { filters?: Filters | string }; output: { VolumesDeleted: string[]; SpaceReclaimed: number } };
  }
}

const stringMap = { type: ['object', 'null'], additionalProperties: { type: 'string' } };
/** The body of volume create (the API's own schema checks it first; this one guards other callers of the job). */
export const VOLUME_CREATE_SCHEMA = {
  type: 'object',
  additionalProperties: true,
  properties: { Name: { type: 'string' }, Driver: { type: 'string' }, DriverOpts: stringMap, Labels: stringMap },
};
/** Every error is reported. */
export const VOLUME_CREATE_SCHEMA_OPTIONS: SchemaOptions = { allErrors: true };
const validateCreate = compileSchema(VOLUME_CREATE_SCHEMA, VOLUME_CREATE_SCHEMA_OPTIONS);

/** Registers the volume jobs on the engine. */
export function registerVolumeJobs(engine: Engine, volumes: VolumeService): void {
  engine.register('volume.create', (job) => {
    const body = job.input.body ?? {};
    if (!validateCreate(body)) {
      const e = validateCreate.errors![0];
      throw new InvalidArgumentError(`${e.instancePath || '/'}: ${e.message}`);
    }
    return volumes.create({
      Name: body.Name, Driver: body.Driver, DriverOpts: body.DriverOpts ?? undefined, Labels: body.Labels ?? undefined,
    });
  });
  engine.register('volume.list', (job) => volumes.list(job.input.filters));
  engine.register('volume.inspect', (job) => volumes.inspect(job.input.name));
  engine.register('volume.remove', (job) => volumes.remove(job.input.name, !!job.input.force));
  engine.register('volume.prune', (job) => volumes.prune(job.input.filters));
}
