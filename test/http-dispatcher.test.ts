import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { build } from 'esbuild';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSimulator } from '../sim/server.ts';

/*
 * On Node 20 the built-in fetch is an older undici that installs its own Agent as the global
 * dispatcher when none is set yet; this project's undici then finds it there. A fresh worker
 * thread has its own globals, so the order (fetch first, the client's module after) is real here,
 * whatever other test files did before.
 */

let sim: Awaited<ReturnType<typeof startSimulator>>;
let dir: string;

beforeAll(async () => {
  sim = await startSimulator({ accounts: 3, seed: 5, latencyMs: 0 });
  dir = mkdtempSync(join(tmpdir(), 'vobiz-dispatcher-'));
});

afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

it("reads over HTTP when Node's own fetch set the global dispatcher before the client loaded", async () => {
  const entry = `
    import { parentPort, workerData } from 'node:worker_threads';
    await fetch(workerData.origin + '/').catch(() => undefined);
    const installed = globalThis[Symbol.for('undici.globalDispatcher.1')];
    const { Dispatcher } = await import('undici');
    const { httpGet } = await import(${JSON.stringify(pathToFileURL(join(process.cwd(), 'functions/adapters/vobiz/http.ts')).pathname)});
    const reply = await httpGet(workerData.origin, workerData.path, workerData.headers, 2000).then(
      (r) => ({ status: r.status }),
      (e) => ({ error: e.code ?? e.message }),
    );
    parentPort.postMessage({ foreign: installed !== undefined && !(installed instanceof Dispatcher), reply });
  `;
  const bundle = join(dir, 'worker.mjs');
  const built = await build({
    stdin: { contents: entry, resolveDir: process.cwd(), loader: 'js' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // undici's CommonJS requires node: modules; an ES module needs a require for them.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    write: false,
    logLevel: 'silent',
  });
  writeFileSync(bundle, built.outputFiles[0]?.text ?? '');
  const id = sim.accountIds()[0] as string;

  const result = await new Promise((resolve, reject) => {
    const worker = new Worker(bundle, {
      workerData: {
        origin: sim.url,
        path: `/api/v1/partner/accounts/${id}/balance`,
        headers: { 'X-Auth-ID': sim.partner.authId, 'X-Auth-Token': sim.partner.authToken },
      },
    });
    worker.once('message', resolve);
    worker.once('error', reject);
  });

  expect(result).toEqual({ foreign: true, reply: { status: 200 } });
});
