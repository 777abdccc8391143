import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';

/**
 * Headless Chromium from npm alone: `@sparticuz/chromium` ships the browser (with the few
 * shared libraries and fonts it needs) inside the package, `puppeteer-core` drives it over the
 * DevTools protocol. No system browser, no system fonts, no download, no network: every page
 * request is logged and anything but the page's own file or a data: URL is refused.
 */

/** Flags that keep the browser itself from calling home (updates, sync, metrics, DNS). */
const OFFLINE_FLAGS = [
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-default-apps',
  '--disable-domain-reliability',
  '--disable-client-side-phishing-detection',
  '--disable-breakpad',
  '--metrics-recording-only',
  '--no-pings',
  '--disable-quic',
  // Belt and braces: should anything still try, no host name resolves.
  '--host-resolver-rules=MAP * ~NOTFOUND',
];

/** The package's defaults include these for Lambda; the tests want a browser as strict as a user's. */
const WEAKENING_FLAGS = new Set([
  '--disable-web-security',
  '--allow-running-insecure-content',
  '--disable-site-isolation-trials',
]);

export interface OpenedPage {
  page: Page;
  /** Every request the page made, as URLs, in order. */
  requests: string[];
}

export interface OpenOptions {
  /** 1280x800 unless told. */
  viewport?: { width: number; height: number };
  /** True unless told: a page is also read with scripts off. */
  javascript?: boolean;
}

export interface ReportBrowser {
  /** Opens a local file and waits for its load event. */
  open(file: string, options?: OpenOptions): Promise<OpenedPage>;
  close(): Promise<void>;
}

/**
 * The package unpacks itself into `os.tmpdir()`, where an interrupted or concurrent unpacking
 * (two test files, or another checkout) would leave a half-written binary that the next run
 * takes as done. So unpack once per package version into a private staging directory and move
 * it into place atomically; the Amazon Linux libraries (libnss3, libnspr4, libexpat) come
 * along so the browser needs none from the system.
 */
async function unpackedBrowser(): Promise<string> {
  const manifest = JSON.parse(
    await readFile(new URL('../../node_modules/@sparticuz/chromium/package.json', import.meta.url), 'utf8'),
  ) as { version: string };
  const home = join(tmpdir(), `vobiz-test-chromium-${manifest.version}`);
  if (existsSync(join(home, 'chromium'))) return home;
  const staging = await mkdtemp(join(tmpdir(), 'vobiz-test-chromium-staging-'));
  const saved = { TMPDIR: process.env.TMPDIR, AWS_EXECUTION_ENV: process.env.AWS_EXECUTION_ENV };
  // The package unpacks into os.tmpdir(), and adds its Amazon Linux libraries only where it
  // believes it runs on Lambda: point the one at staging and tell it the other.
  process.env.TMPDIR = staging;
  process.env.AWS_EXECUTION_ENV = 'AWS_Lambda_nodejs20.x';
  try {
    await chromium.executablePath();
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  await writeFile(
    join(staging, 'fonts.conf'),
    `<?xml version="1.0"?>\n<fontconfig><dir>${home}/fonts</dir><cachedir>${home}/fonts-cache</cachedir></fontconfig>\n`,
  );
  try {
    await rename(staging, home);
  } catch (error) {
    // Another process finished first: its copy is complete, ours is not needed.
    await rm(staging, { recursive: true, force: true });
    if (!existsSync(join(home, 'chromium'))) throw error;
  }
  return home;
}

export async function launchChromium(): Promise<ReportBrowser> {
  const home = await unpackedBrowser();
  const profile = await mkdtemp(join(tmpdir(), 'vobiz-test-profile-'));
  const browser: Browser = await puppeteer.launch({
    executablePath: join(home, 'chromium'),
    args: [...chromium.args.filter((flag) => !WEAKENING_FLAGS.has(flag)), ...OFFLINE_FLAGS],
    headless: 'shell',
    userDataDir: profile,
    env: {
      ...process.env,
      LD_LIBRARY_PATH: join(home, 'al2023', 'lib'),
      // Only the bundled fonts, so text measures the same on every machine.
      FONTCONFIG_FILE: join(home, 'fonts.conf'),
    },
  });
  return {
    async open(file, { viewport = { width: 1280, height: 800 }, javascript = true } = {}) {
      const page = await browser.newPage();
      await page.setViewport(viewport);
      await page.setJavaScriptEnabled(javascript);
      const own = pathToFileURL(file).href;
      const requests: string[] = [];
      await page.setRequestInterception(true);
      page.on('request', (request: HTTPRequest) => {
        const url = request.url();
        requests.push(url);
        if (url === own || url.startsWith('data:')) void request.continue();
        else void request.abort('blockedbyclient');
      });
      await page.goto(own, { waitUntil: 'load' });
      return { page, requests };
    },
    async close() {
      await browser.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
