/** berth's version, read from package.json once. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const BERTH_VERSION: string = (require('../../package.json') as { version: string }).version;
/** The Docker Engine API version berth implements. */
export const API_VERSION = '1.41';
/** The oldest API version accepted in request paths. */
export const MIN_API_VERSION = '1.24';
