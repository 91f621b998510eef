/** Body schemas of the exec routes (v1.41 swagger ExecConfig and ExecStartConfig). */
import type { JSONSchema } from '../../plugins/manifest';
import { bool, nullable, str, strArr } from './common';

const consoleSize: JSONSchema = nullable({ type: 'array', items: { type: 'integer', minimum: 0 }, minItems: 2, maxItems: 2 });

/** `POST /containers/{id}/exec`. */
export const execCreateSchema: JSONSchema = {
  type: 'object',
  properties: {
    AttachStdin: bool, AttachStdout: bool, AttachStderr: bool, ConsoleSize: consoleSize,
    DetachKeys: str, Tty: bool, Env: nullable(strArr), Cmd: nullable(strArr),
    Privileged: bool, User: str, WorkingDir: str,
  },
};

/** `POST /exec/{id}/start`. */
export const execStartSchema: JSONSchema = {
  type: 'object',
  properties: { Detach: bool, Tty: bool, ConsoleSize: consoleSize },
};
