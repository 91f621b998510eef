/** Network routes (v1.41): list, inspect, create, connect, disconnect, remove, prune. */
import type { RouteDef } from '../route';
import { networkConnectSchema, networkCreateSchema, networkDisconnectSchema } from '../schemas/network';
import { jobRoute } from './job-route';

/** `/networks/…` routes. */
export const networkRoutes: readonly RouteDef[] = [
  jobRoute('GET', '/networks', 'network.list', { query: { filters: 'filters' } }),
  jobRoute('GET', '/networks/:id', 'network.inspect', { query: { verbose: 'bool', scope: 'string' } }),
  jobRoute('DELETE', '/networks/:id', 'network.remove', { status: 204 }),
  jobRoute('POST', '/networks/create', 'network.create', { schema: networkCreateSchema, bodyRequired: true, status: 201 }),
  jobRoute('POST', '/networks/:id/connect', 'network.connect', { schema: networkConnectSchema, bodyRequired: true }),
  jobRoute('POST', '/networks/:id/disconnect', 'network.disconnect', { schema: networkDisconnectSchema, bodyRequired: true }),
  jobRoute('POST', '/networks/prune', 'network.prune', { query: { filters: 'filters' }, body: 'none' }),
];
