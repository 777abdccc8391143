/**
 * `npm start`: the whole product on a laptop, no AWS account. Starts the Vobiz simulator,
 * keeps history in an embedded DynamoDB under .vobiz-balance/demo, and tells a short story
 * through the same sweep code the CLI and the Lambda run.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseSweepArgs, runSweepWith, type SweepIO } from '../functions/cli/commands/sweep.ts';
import { displayName } from '../functions/core/display.ts';
import type { SweepSummary } from '../functions/core/types.ts';
import { startSimulator } from '../sim/server.ts';

// See bin/vobiz-balance.mjs: the SDK's Node 20 notice is said once in the README, not on every run.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DATA_DIR = resolve('.vobiz-balance', 'demo');
const ACCOUNTS = 300;

interface Step {
  title: string;
  summary: SweepSummary;
}

const HOUR = 3_600_000;

async function main(): Promise<number> {
  await rm(DATA_DIR, { recursive: true, force: true });
  const sim = await startSimulator({ accounts: ACCOUNTS, seed: 2026, latencyMs: 5 });
  const lines: string[] = [];
  const io: SweepIO = {
    stdout: (line) => lines.push(line),
    stderr: (line) => process.stderr.write(`${line}\n`),
    env: { VOBIZ_AUTH_ID: sim.partner.authId, VOBIZ_AUTH_TOKEN: sim.partner.authToken },
  };
  // The story spans half a day, replayed with --now: it ends at the top of the current hour.
  const end = Math.floor(Date.now() / HOUR) * HOUR;
  const start = end - 8 * HOUR;
  const at = (ms: number) => new Date(start + ms).toISOString();
  const args = ['--base-url', sim.url, '--data-dir', DATA_DIR, '--concurrency', '16'];
  const sweep = async (now: string) => {
    lines.length = 0;
    return (await runSweepWith(parseSweepArgs([...args, '--now', now]), io)).summary;
  };
  const steps: Step[] = [];
  try {
    console.log(`Vobiz simulator at ${sim.url} with ${ACCOUNTS} customer accounts; store in ${DATA_DIR}\n`);
    const alertable = sim.accountIds().filter((id) => {
      const account = sim.getAccount(id);
      return (
        account &&
        !account.postpaid &&
        account.is_active &&
        account.enabled &&
        !/^[-0]/.test(account.cash_credits)
      );
    });
    // Two healthy customers for the look-ahead part of the story.
    const [burner, fraud] = alertable.slice(-2) as [string, string];
    sim.setBalance(burner, '5400.00000');
    sim.setBalance(fraud, '90000.00000');

    const first = await sweep(at(0));
    steps.push({ title: 'first sweep: raises the alerts', summary: first });
    show(`1. First sweep (${at(0)})`, lines, 6);

    steps.push({ title: 'repeat sweep: nothing moved, quiet', summary: await sweep(at(HOUR / 4)) });
    show('2. Repeat sweep, 15 minutes later', lines, 6);

    const low = first.notifications.find((n) => n.type === 'low');
    if (!low) throw new Error('the seeded accounts raised no LOW alert; the demo story needs one');
    sim.setBalance(low.authId, '5000.00000');
    steps.push({
      title: `top-up of ${displayName(low.name, 24)}: recovers`,
      summary: await sweep(at(HOUR / 2)),
    });
    show(`3. ${displayName(low.name, 40)} (${low.authId}) is topped up to 5000`, lines, 6);

    const alerted = new Set([...first.notifications.map((n) => n.authId), burner, fraud]);
    const healthy = alertable.find((id) => !alerted.has(id));
    if (!healthy) throw new Error('no healthy account left to drop');
    const healthyName = sim.getAccount(healthy)?.name ?? healthy;
    sim.setBalance(healthy, '42.00000');
    steps.push({
      title: `drop of ${displayName(healthyName, 24)}: alerts`,
      summary: await sweep(at((3 * HOUR) / 4)),
    });
    show(`4. ${displayName(healthyName, 40)} (${healthy}) drops to 42`, lines, 6);

    // Hourly sweeps: one customer burns 120 an hour, another spends 10 an hour, then 1500 in one hour.
    const burnerName = displayName(sim.getAccount(burner)?.name ?? burner, 40);
    const fraudName = displayName(sim.getAccount(fraud)?.name ?? fraud, 40);
    const looking: string[] = [];
    let hourly: SweepSummary | null = null;
    for (let hour = 1; hour <= 7; hour++) {
      sim.adjustBalance(burner, '-120');
      sim.adjustBalance(fraud, hour === 7 ? '-1500' : '-10');
      hourly = await sweep(at(hour * HOUR));
      looking.push(...lines.filter((l) => /^(FORECAST|SPIKE) /.test(l)));
      if (hour === 6)
        steps.push({ title: `6 h of ${burnerName.slice(0, 18)} burning: forecast`, summary: hourly });
    }
    if (hourly)
      steps.push({ title: `${fraudName.slice(0, 18)} loses 1500 in an hour: spike`, summary: hourly });
    console.log(
      `5. Hourly sweeps: ${burnerName} (${burner}) burns 120 an hour; ${fraudName} (${fraud}) spends 10 an hour, then 1500 in one`,
    );
    for (const line of looking) console.log(`   ${line}`);
    if (looking.length === 0) console.log('   (no forecast or spike: the story did not go as planned)');
    console.log('');

    console.log(table(steps));
    console.log(
      `\nAlerts were appended to ${join(DATA_DIR, 'alerts.jsonl')}; history is in the embedded DynamoDB there.`,
    );
    console.log(`Try: npx vobiz-balance history ${burner} --data-dir ${DATA_DIR}`);
    const incomplete = steps.filter((s) => !s.summary.complete);
    const types = new Set(steps.flatMap((s) => s.summary.notifications.map((n) => n.type)));
    const told = ['low', 'critical', 'recovered', 'forecast', 'spike'].every((t) => types.has(t as never));
    return incomplete.length === 0 && told ? 0 : 1;
  } finally {
    await sim.close();
  }
}

function show(title: string, output: string[], max: number): void {
  const notifications = output.filter((l) => /^(CRITICAL|LOW|STILL|RECOVERED) /.test(l));
  console.log(title);
  for (const line of notifications.slice(0, max)) console.log(`   ${line}`);
  if (notifications.length > max) console.log(`   … and ${notifications.length - max} more`);
  if (notifications.length === 0) console.log('   (no notifications)');
  console.log('');
}

function table(steps: Step[]): string {
  const header = ['step', 'listed', 'read', 'failed', 'snapshots', 'LOW', 'CRIT', 'notifications'];
  const rows = steps.map((s, i) => [
    `${i + 1}. ${s.title}`,
    String(s.summary.accountsListed),
    String(s.summary.balancesFetched),
    String(s.summary.failed),
    String(s.summary.snapshotsWritten),
    String(s.summary.levels.LOW),
    String(s.summary.levels.CRITICAL),
    notificationCounts(s.summary),
  ]);
  const widths = header.map((h, c) =>
    Math.max(Array.from(h).length, ...rows.map((r) => Array.from(r[c] ?? '').length)),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, c) =>
        c === cells.length - 1 ? cell : c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0),
      )
      .join('  ');
  return [format(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(format)].join('\n');
}

function notificationCounts(summary: SweepSummary): string {
  const counts = new Map<string, number>();
  for (const n of summary.notifications) counts.set(n.type, (counts.get(n.type) ?? 0) + 1);
  return counts.size === 0 ? 'none' : [...counts].map(([type, count]) => `${count} ${type}`).join(', ');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`npm start failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
