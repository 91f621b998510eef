/**
 * The container.* and exec.* jobs' types, merged into JobMap. Inputs are
 * Docker's path params + query + body (`{ id, force, v }`, `{ name, body }`);
 * outputs are Docker's v1.41 response shapes.
 */
import type { ExecCreateBody, ExecInspect } from './exec-service';
import type { AttachInput, LogsInput } from './container-io';
import type { CreateResult } from './container-service';
import type { UpdateBody } from './container-update';
import type { TopResult } from './top';
import type { PathStat } from './container-archive';

type Id = { id: string };
type StopInput = Id & { t?: number; signal?: string };
/** Docker's filters: `{ key: [values] }`, legacy `{ key: { value: true } }`, or the JSON text. */
type FiltersInput = Record<string, string[] | Record<string, boolean>> | string;

declare module '../engine/job-map' {
  interface JobMap {
    'container.create': { input: { name?: string; platform?: string; body: Record<string, unknown> }; output: CreateResult };
    'container.start': { input: Id & { detachKeys?: string }; output: void };
    'container.stop': { input: StopInput; output: void };
    'container.restart': { input: StopInput; output: void };
    'container.kill': { input: Id & { signal?: string }; output: void };
    'container.wait': { input: Id & { condition?: string }; output: { StatusCode: number; Error: { Message: string } | null } };
    'container.remove': { input: Id & { force?: boolean; v?: boolean; link?: boolean }; output: void };
    'container.list': { input: { all?: boolean; limit?: number; size?: boolean; filters?: FiltersInput }; output: Array<Record<string, unknown>> };
    'container.inspect': { input: Id & { size?: boolean }; output: Record<string, unknown> };
    /** A container by id, name or unique id prefix (404 otherwise): what a streaming route needs before its headers, without inspect's view. */
    'container.resolve': { input: Id; output: { Id: string; Name: string; Tty: boolean } };
    'container.logs': { input: LogsInput; output: void };
    'container.attach': { input: AttachInput; output: void };
    'container.resize': { input: Id & { h: number; w: number }; output: void };
    'container.top': { input: Id & { ps_args?: string }; output: TopResult };
    'container.stats': { input: Id & { stream?: boolean; 'one-shot'?: boolean }; output: void };
    'container.changes': { input: Id; output: Array<{ Path: string; Kind: number }> | null };
    'container.export': { input: Id; output: void };
    'container.pause': { input: Id; output: void };
    'container.unpause': { input: Id; output: void };
    'container.rename': { input: Id & { name: string }; output: void };
    'container.update': { input: Id & { body: UpdateBody }; output: { Warnings: string[] } };
    'container.prune': { input: { filters?: FiltersInput }; output: { ContainersDeleted: string[]; SpaceReclaimed: number } };
    'container.archive.head': { input: Id & { path: string }; output: PathStat };
    'container.archive.get': { input: Id & { path: string }; output: void };
    'container.archive.put': { input: Id & { path: string; noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }; output: void };
    'exec.create': { input: Id & { body: ExecCreateBody }; output: { Id: string } };
    'exec.start': { input: Id & { body?: { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null } }; output: void };
    'exec.inspect': { input: Id; output: ExecInspect };
    'exec.resize': { input: Id & { h: number; w: number }; output: void };
  }
}

export {};
