#!/usr/bin/env node
// The installed entry point: runs the TypeScript CLI through tsx's loader, no build step.
import { register } from 'tsx/esm/api';

// The AWS SDK warns on every run under Node 20 that its 2027 releases need Node 22 (README says so
// once); left on, the notice would break the promise of a one-line error on stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
