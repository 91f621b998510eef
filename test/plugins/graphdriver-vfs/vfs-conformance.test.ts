import { graphDriverSuite } from '../../../core/image/graphdriver-suite';
import { VfsDriver } from '../../../plugins/graphdriver-vfs/vfs-driver';

graphDriverSuite('vfs', { name: 'vfs', priority: 100, create: (home, opts) => VfsDriver.open(home, opts) });
