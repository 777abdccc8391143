/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile> [rows]`: where a sweep's CPU goes, from a V8 CPU
 * profile (bench/sweep-child.ts with BENCH_CPU_PROFILE, or node --cpu-prof). Prints self time by
 * function, and self and inclusive time by module (a package under node_modules, a project file, or
 * node's own internals), each as a share of the samples that were not idle.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rowsArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-top.ts <file.cpuprofile> [rows]');
const rows = Number(rowsArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** The module a frame belongs to: a package, a project file, node's internals, or V8 itself. */
function moduleOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return url.split('/')[0] as string;
  const project = /\/(functions|sim|bench|lib)\/(.+)$/.exec(url);
  return project ? `${project[1]}/${project[2]}` : url;
}

const self = new Map<string, number>();
const selfModule = new Map<string, number>();
const inclusiveModule = new Map<string, number>();
let busy = 0;
let idle = 0;
/** Native work outside any JS frame: the event loop itself (epoll, timers), mostly. */
let program = 0;
for (let i = 0; i < profile.samples.length; i++) {
  const dt = profile.timeDeltas[i] ?? 0;
  let node = byId.get(profile.samples[i] as number);
  if (!node) continue;
  const name = node.callFrame.functionName;
  if (name === '(idle)' || name === '(root)') {
    idle += dt;
    continue;
  }
  if (name === '(program)') program += dt;
  busy += dt;
  const { url, lineNumber } = node.callFrame;
  const key = `${name || '(anonymous)'} ${moduleOf(url, name)}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + dt);
  const mod = moduleOf(url, name);
  selfModule.set(mod, (selfModule.get(mod) ?? 0) + dt);
  const seen = new Set<string>();
  for (; node; node = byId.get(parent.get(node.id) ?? -1)) {
    const m = moduleOf(node.callFrame.url, node.callFrame.functionName);
    if (m === '(root)' || seen.has(m)) continue;
    seen.add(m);
    inclusiveModule.set(m, (inclusiveModule.get(m) ?? 0) + dt);
  }
}

const ms = (us: number) => (us / 1000).toFixed(0).padStart(7);
const pct = (us: number) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
const top = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, rows);
console.log(
  `busy ${ms(busy)} ms (of which outside JS, the event loop: ${ms(program)} ms), idle ${ms(idle)} ms`,
);
console.log('\nself time by function');
for (const [k, v] of top(self)) console.log(`${ms(v)} ms ${pct(v)}  ${k}`);
console.log('\nself time by module');
for (const [k, v] of top(selfModule)) console.log(`${ms(v)} ms ${pct(v)}  ${k}`);
console.log('\ninclusive time by module (a frame of it anywhere on the stack)');
for (const [k, v] of top(inclusiveModule)) console.log(`${ms(v)} ms ${pct(v)}  ${k}`);
