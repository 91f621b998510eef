/**
 * The built-in plugins, by path relative to the package root. Core never
 * imports a plugin statically: the host loads these the same way it loads a
 * third-party plugin, so the built-ins prove the public plugin API.
 * `disable-plugins` in daemon.json leaves any of them out (appliance builds).
 */
export const BUILTIN_PLUGINS: readonly string[] = Object.freeze([
  'plugins/graphdriver-overlay2',
  'plugins/graphdriver-vfs',
  'plugins/execdriver-native',
  'plugins/networkdriver-bridge',
  'plugins/logdriver-json',
  'plugins/volumedriver-local',
  'plugins/volumedriver-remote',
  'plugins/registry',
]);
