import { graphDriverSuite } from '../../../core/image/graphdriver-suite';
import { Overlay2Driver } from '../../../plugins/graphdriver-overlay2/overlay2-driver';

graphDriverSuite('overlay2', { name: 'overlay2', priority: 10, create: (home, opts) => Overlay2Driver.open(home, opts) });
