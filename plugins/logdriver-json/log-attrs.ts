/**
 * The `attrs` object json-file stores with every record, computed once per
 * container like moby's `Info.ExtraAttributes` plus the `tag` option:
 * `labels`/`labels-regex` pick container labels, `env`/`env-regex` pick
 * environment variables, `tag` is a Go-template-like string over the
 * container's identity (`{{.ID}}`, `{{.Name}}`, ...).
 */
import { InvalidArgumentError, type LogContext } from '../../core';
import { goJsonStringMap } from './go-json';

const TAG_FIELD = /\{\{\s*\.(\w+)\s*\}\}/g;

/** The fields a tag template may use, as in Docker's logger.Info. */
export const TAG_FIELDS: readonly string[] = Object.freeze([
  'ID', 'FullID', 'Name', 'ImageID', 'ImageFullID', 'ImageName', 'DaemonName',
]);

/** Throws InvalidArgumentError when `tag` uses syntax or fields berth does not support. */
export function checkTagTemplate(tag: string): void {
  for (const m of tag.matchAll(TAG_FIELD)) {
    if (!TAG_FIELDS.includes(m[1])) {
      throw new InvalidArgumentError(`invalid value for log opt 'tag': unknown field .${m[1]} (known: ${TAG_FIELDS.map((f) => '.' + f).join(' ')})`);
    }
  }
  if (tag.replace(TAG_FIELD, '').includes('{{')) {
    throw new InvalidArgumentError(`invalid value for log opt 'tag': only {{.Field}} substitutions are supported in ${JSON.stringify(tag)}`);
  }
}

function truncateId(id: string): string {
  const i = id.indexOf(':');
  const bare = i >= 0 ? id.slice(i + 1) : id;
  return bare.slice(0, 12);
}

/** Expands a tag template for a container. */
export function expandTag(tag: string, ctx: LogContext): string {
  checkTagTemplate(tag);
  const values: Record<string, string> = {
    ID: truncateId(ctx.containerId),
    FullID: ctx.containerId,
    Name: ctx.containerName.replace(/^\//, ''),
    ImageID: truncateId(ctx.imageId),
    ImageFullID: ctx.imageId,
    ImageName: ctx.imageName,
    DaemonName: 'berth',
  };
  return tag.replace(TAG_FIELD, (_all, f: string) => values[f]);
}

/** The attrs map for a container from its options; empty when none apply. */
export function extraAttributes(ctx: LogContext, options: Record<string, string>): Record<string, string> {
  const extra: Record<string, string> = {};
  const labels = ctx.containerLabels ?? {};
  if (options.labels) {
    for (const l of options.labels.split(',')) if (Object.hasOwn(labels, l)) extra[l] = labels[l];
  }
  if (options['labels-regex']) {
    const re = new RegExp(options['labels-regex']);
    for (const [k, v] of Object.entries(labels)) if (re.test(k)) extra[k] = v;
  }
  const env = new Map<string, string>();
  for (const e of ctx.containerEnv ?? []) {
    const i = e.indexOf('=');
    if (i >= 0) env.set(e.slice(0, i), e.slice(i + 1));
  }
  if (options.env) {
    for (const l of options.env.split(',')) if (env.has(l)) extra[l] = env.get(l) as string;
  }
  if (options['env-regex']) {
    const re = new RegExp(options['env-regex']);
    for (const [k, v] of env) if (re.test(k)) extra[k] = v;
  }
  if (options.tag) {
    const tag = expandTag(options.tag, ctx);
    if (tag !== '') extra.tag = tag;
  }
  return extra;
}

/** The attrs as the JSON text json-file writes, or null when empty (Docker omits the key). */
export function attrsJson(extra: Record<string, string>): string | null {
  return Object.keys(extra).length > 0 ? goJsonStringMap(extra) : null;
}
