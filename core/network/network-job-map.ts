/** The network jobs' types, merged into the engine's JobMap. Inputs are Docker's path params, query and body. */
import type { DockerFilters, DockerNetwork, NetworkCreateBody } from './docker-types';

declare module '../engine/job-map' {
  interface JobMap {
    /** POST /networks/create */
    'network.create': { input: { body: NetworkCreateBody }; output: { Id: string; Warning: string } };
    /** GET /networks */
    'network.list': { input: { filters?: DockerFilters }; output: DockerNetwork[] };
    /** GET /networks/{id} */
    'network.inspect': { input: { id: string; verbose?: boolean; scope?: string }; output: DockerNetwork };
    /** DELETE /networks/{id} — ConflictError while containers are attached. */
    'network.remove': { input: { id: string }; output: void };
    /** POST /networks/{id}/connect */
    'network.connect': {
      input: { id: string; body: { Container: string; EndpointConfig?: { IPAMConfig?: { IPv4Address?: string } | null; Aliases?: string[] | null } } };
      output: void;
    };
    /** POST /networks/{id}/disconnect */
    'network.disconnect': { input: { id: string; body: { Container: string; Force?: boolean } }; output: void };
    /** POST /networks/prune */
    'network.prune': { input: { filters?: DockerFilters }; output: { NetworksDeleted: string[] } };
  }
}

export {};
