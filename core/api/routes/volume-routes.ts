/** Volume routes (v1.41): list, create, inspect, remove, prune. */
import type { RouteDef } from '../route';
import { volumeCreateSchema } from '../schemas/volume';
import { jobRoute } from './job-route';

/** `/volumes/…` routes. */
export const volumeRoutes: readonly RouteDef[] = [
  jobRoute('GET', '/volumes', 'volume.list', { query: { filters: 'filters' } }),
  jobRoute('POST', '/volumes/create', 'volume.create', { schema: volumeCreateSchema, status: 201, input: (_c, i) => ({ body: {}, ...i }) }),
  jobRoute('GET', '/volumes/:name', 'volume.inspect'),
  jobRoute('DELETE', '/volumes/:name', 'volume.remove', { query: { force: 'bool' }, status: 204 }),
  jobRoute('POST', '/volumes/prune', 'volume.prune', { query: { filters: 'filters' }, body: 'none' }),
];
