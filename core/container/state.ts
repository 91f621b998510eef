/**
 * The container state machine. Each transition returns a fresh State object
 * with Docker's derived booleans (Running, Paused, Restarting, Dead) set from
 * the status; illegal transitions are FailedPreconditionErrors naming both
 * ends. The service persists the result atomically after every transition.
 */
import { FailedPreconditionError } from '../errors';
import { type ContainerState, type ContainerStatus, ZERO_TIME } from './types';

const ALLOWED: Readonly<Record<ContainerStatus, readonly ContainerStatus[]>> = Object.freeze({
  created: ['running', 'removing', 'exited', 'dead'],
  running: ['paused', 'exited', 'restarting', 'running', 'dead'],
  paused: ['running', 'exited', 'dead'],
  restarting: ['running', 'exited', 'removing', 'dead'],
  exited: ['running', 'restarting', 'removing', 'dead'],
  removing: ['dead', 'exited', 'created'],
  dead: ['removing'],
});

/** The state of a container that was just created. */
export function initialState(): ContainerState {
  return {
    Status: 'created', Running: false, Paused: false, Restarting: false, OOMKilled: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}

/** Whether `from → to` is a legal transition. */
export function canTransition(from: ContainerStatus, to: ContainerStatus): boolean {
  return ALLOWED[from].includes(to);
}

/** Fields a transition may set besides the status. */
export type StateChange = Partial<Pick<ContainerState, 'Pid' | 'ExitCode' | 'OOMKilled' | 'Error' | 'StartedAt' | 'FinishedAt'>>;

/**
 * Moves `state` to `to`, applying `change`. Promises a new object (the input
 * is not modified) whose booleans match Docker's for that status:
 * running/paused/restarting all have Running=true, as in Docker.
 */
export function transition(state: ContainerState, to: ContainerStatus, change: StateChange = {}): ContainerState {
  if (!canTransition(state.Status, to)) {
    throw new FailedPreconditionError(`cannot move container from ${state.Status} to ${to}`);
  }
  const next: ContainerState = { ...state, ...change, Status: to };
  next.Running = to === 'running' || to === 'paused' || to === 'restarting';
  next.Paused = to === 'paused';
  next.Restarting = to === 'restarting';
  next.Dead = to === 'dead';
  if (!next.Running && to !== 'removing') next.Pid = change.Pid ?? 0;
  if (to === 'running' && state.Status !== 'paused' && state.Status !== 'running') {
    // a fresh start clears the previous run's outcome
    next.ExitCode = change.ExitCode ?? 0;
    next.OOMKilled = change.OOMKilled ?? false;
    next.Error = change.Error ?? '';
  }
  return next;
}
