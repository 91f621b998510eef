/**
 * Keeps CLI-driven tests on this machine: `run` / `create` get `--pull never`
 * unless the test chose a pull policy or names an image on a loopback
 * registry. Without it, a test run alone (mocha -g) or after a failed image
 * import would send the daemon to Docker Hub for a missing test image.
 */
export function neverPullFromOutside(args: string[]): string[] {
  if (args[0] !== 'run' && args[0] !== 'create') return args;
  if (args.some((a) => a === '--pull' || a.startsWith('--pull=') || /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]):\d+\//.test(a))) return args;
  return [args[0], '--pull', 'never', ...args.slice(1)];
}
