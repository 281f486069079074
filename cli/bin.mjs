#!/usr/bin/env node
// The `backup-hub` command: runs the TypeScript CLI through tsx, as `npm start` does, so a clone needs no build step.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
await import('./backup-hub.ts');
