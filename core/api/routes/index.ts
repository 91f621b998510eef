/** Every route berth serves, in one list (the order does not matter to the router). */
import type { RouteDef } from '../route';
import { berthPluginRoutes } from './berth-plugins';
import { containerRoutes } from './container-routes';
import { containerStreamRoutes } from './container-stream-routes';
import { execRoutes } from './exec-routes';
import { imageRoutes } from './image-routes';
import { networkRoutes } from './network-routes';
import { systemRoutes } from './system-routes';
import { unsupportedRoutes } from './unsupported-routes';
import { volumeRoutes } from './volume-routes';

/** The route table the API server is built from. */
export const allRoutes: readonly RouteDef[] = [
  ...systemRoutes, ...containerRoutes, ...containerStreamRoutes, ...execRoutes,
  ...imageRoutes, ...networkRoutes, ...volumeRoutes,
  ...berthPluginRoutes, ...unsupportedRoutes,
];
