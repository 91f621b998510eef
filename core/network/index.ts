/** The network domain: NetworkService, its jobs, IPAM, and the Docker shapes it speaks. */
export { setupNetworks, KERNEL_NETWORKS } from './setup-networks';
export { NetworkService, NetworkServiceOptionsToken } from './network-service';
export type { AttachRequest, AttachResult, NetworkMode, NetworkServiceOptions, OfflineConnector } from './network-service';
export type { Ipam, Pool, PoolRequest } from './ipam/ipam';
export { DefaultIpam, DOCKER_DEFAULT_POOLS } from './ipam/default-ipam';
export type { DockerNetwork, NetworkSettings, NetworkCreateBody, DockerEndpointSettings } from './docker-types';
export { registerNetworkJobs } from './network-jobs';
import './network-job-map';
