/**
 * Makes the job types of every core domain (each declares its jobs by
 * merging into JobMap in its own file) visible to code that imports
 * `createEngine` from 'berth', so `engine.run('container.create', …)` is
 * typed end to end. Type-only re-exports: nothing is loaded at run time.
 */
export type {} from '../container/job-types';
export type {} from '../image/image-jobs';
export type {} from '../network/network-job-map';
export type {} from '../system/system-jobs';
export type {} from '../volume/jobs';
