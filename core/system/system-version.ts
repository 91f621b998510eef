/** The `system.version` job: berth's `GET /version` answer. */
import * as os from 'node:os';
import { API_VERSION, MIN_API_VERSION } from '../api/api-version';
import { BERTH_VERSION } from '../version';
import { goArch } from './host-facts';
import type { SystemVersion } from './system-jobs';

/** Docker's SystemVersion, filled with berth's version and this host. */
export function systemVersion(): SystemVersion {
  const version = BERTH_VERSION;
  const gitCommit = process.env.BERTH_GIT_COMMIT ?? '';
  const details = {
    ApiVersion: API_VERSION, MinAPIVersion: MIN_API_VERSION, GitCommit: gitCommit, GoVersion: `node ${process.version}`,
    Os: 'linux', Arch: goArch(), KernelVersion: os.release(), BuildTime: '', Experimental: 'false',
  };
  return {
    Platform: { Name: 'Berth Engine' },
    Components: [{ Name: 'Engine', Version: version, Details: details }],
    Version: version,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: gitCommit,
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: goArch(),
    KernelVersion: os.release(),
    BuildTime: '',
  };
}
