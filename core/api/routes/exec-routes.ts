/** Exec routes: start (hijacked unless detached), inspect, resize. Create is under containers. */
import { nullIO } from '../../engine/job';
import { DEFAULT_DETACH_KEYS, parseDetachKeys } from '../detach-keys';
import type { RouteContext, RouteDef } from '../route';
import { runJob } from '../run-job';
import { execStartSchema } from '../schemas/exec';
import { runHijackedJob } from './hijacked-job';
import { jobRoute } from './job-route';

interface ExecInspect { ProcessConfig?: { tty?: boolean }; OpenStdin?: boolean; DetachKeys?: string }
interface ExecStartBody { Detach?: boolean; Tty?: boolean }

async function execStart(ctx: RouteContext): Promise<void> {
  const body = (ctx.body ?? {}) as ExecStartBody;
  const id = ctx.params.id;
  const info = await runJob(ctx.kernel, 'exec.inspect', { id }, { signal: ctx.signal }) as ExecInspect;
  const input = { id, body };
  if (body.Detach) {
    await runJob(ctx.kernel, 'exec.start', input, { signal: ctx.signal, io: nullIO() });
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
    return;
  }
  const tty = info?.ProcessConfig?.tty ?? Boolean(body.Tty);
  const keys = info?.DetachKeys || DEFAULT_DETACH_KEYS;
  await runHijackedJob(ctx, 'exec.start', input, {
    tty, stdin: info?.OpenStdin ?? true, detachKeys: parseDetachKeys(keys),
  });
}

/** `/exec/{id}/…` routes. */
export const execRoutes: readonly RouteDef[] = [
  { method: 'POST', path: '/exec/:id/start', schema: execStartSchema, handler: execStart },
  jobRoute('POST', '/exec/:id/resize', 'exec.resize', { query: { h: 'int', w: 'int' }, body: 'none' }),
  jobRoute('GET', '/exec/:id/json', 'exec.inspect'),
];
