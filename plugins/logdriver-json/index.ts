import { definePlugin } from '../../core';
import { jsonFileLogDriverFactory } from './json-file-factory';

export default definePlugin({
  kind: 'logdriver',
  id: 'json-file',
  version: '1.0.0',
  apiVersion: '^1.0.0',
  description: "Docker's json-file log format, with rotation (max-size, max-file, compress), tail and follow",
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  init(ctx) {
    ctx.provide('logdriver:json-file', jsonFileLogDriverFactory);
  },
});
