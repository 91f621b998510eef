/**
 * berth's error vocabulary: a fixed set of typed errors with stable codes,
 * modelled on containerd's errdefs. Every error a job, a driver or a plugin
 * throws on purpose is one of these; anything else is treated as Internal.
 *
 * The code is part of the public API (it appears in HTTP responses and in
 * `docs/errors.md`); the message is for humans and may change.
 */

/** Stable error codes. Never renumber or rename one: clients match on them. */
export type ErrorCode =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'InvalidArgument'
  | 'FailedPrecondition'
  | 'NotModified'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Forbidden'
  | 'Unauthorized'
  | 'Internal';

/** The HTTP status each code maps to, as the Docker Engine API uses them. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = Object.freeze({
  NotFound: 404,
  AlreadyExists: 409,
  Conflict: 409,
  InvalidArgument: 400,
  FailedPrecondition: 409,
  NotModified: 304,
  Unavailable: 503,
  NotImplemented: 501,
  Forbidden: 403,
  Unauthorized: 401,
  Internal: 500,
});

/** Base class of every berth error. `code` is stable; `cause` keeps the origin. */
export class BerthError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = `${code}Error`;
  }
  /** The HTTP status the API server answers with for this error. */
  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export class NotFoundError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('NotFound', message, options); }
}
export class AlreadyExistsError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('AlreadyExists', message, options); }
}
export class ConflictError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('Conflict', message, options); }
}
export class InvalidArgumentError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('InvalidArgument', message, options); }
}
export class FailedPreconditionError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('FailedPrecondition', message, options); }
}
/** Docker answers 304 for "container already started/stopped". */
export class NotModifiedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('NotModified', message, options); }
}
export class UnavailableError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('Unavailable', message, options); }
}
export class NotImplementedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('NotImplemented', message, options); }
}
export class ForbiddenError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('Forbidden', message, options); }
}
export class UnauthorizedError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('Unauthorized', message, options); }
}
export class InternalError extends BerthError {
  constructor(message: string, options?: { cause?: unknown }) { super('Internal', message, options); }
}

function hasCode(err: unknown, code: ErrorCode): boolean {
  return err instanceof BerthError ? err.code === code
    : typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}

export const isNotFound = (e: unknown): boolean => hasCode(e, 'NotFound');
export const isAlreadyExists = (e: unknown): boolean => hasCode(e, 'AlreadyExists');
export const isConflict = (e: unknown): boolean => hasCode(e, 'Conflict') || hasCode(e, 'AlreadyExists');
export const isInvalidArgument = (e: unknown): boolean => hasCode(e, 'InvalidArgument');
export const isFailedPrecondition = (e: unknown): boolean => hasCode(e, 'FailedPrecondition');
export const isNotModified = (e: unknown): boolean => hasCode(e, 'NotModified');
export const isUnavailable = (e: unknown): boolean => hasCode(e, 'Unavailable');
export const isNotImplemented = (e: unknown): boolean => hasCode(e, 'NotImplemented');
export const isForbidden = (e: unknown): boolean => hasCode(e, 'Forbidden');
export const isUnauthorized = (e: unknown): boolean => hasCode(e, 'Unauthorized');

/**
 * Turns anything thrown into a BerthError: BerthErrors pass through, anything
 * else becomes Internal with the original as `cause`.
 */
export function toBerthError(err: unknown): BerthError {
  if (err instanceof BerthError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(message, { cause: err });
}

/** HTTP status for any thrown value (500 for anything that is not a BerthError). */
export function httpStatusOf(err: unknown): number {
  return toBerthError(err).httpStatus;
}
