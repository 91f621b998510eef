/** A Distribution for tests: certs.d and docker config inside the test's temp dir, Docker's defaults otherwise. */
import * as path from 'node:path';
import { Distribution, type DistributionConfig } from '../../../plugins/registry/distribution';

export function newDistribution(tmp: string, over: Partial<DistributionConfig> = {}): Distribution {
  return new Distribution({
    insecureRegistries: [], mirrors: [], certsDir: path.join(tmp, 'certs.d'), dockerConfig: path.join(tmp, 'docker-config.json'),
    maxConcurrentDownloads: 3, maxConcurrentUploads: 3, chunkSize: 16 * 1024 * 1024, ...over,
  });
}
