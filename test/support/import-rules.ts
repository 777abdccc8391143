import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative } from 'node:path';

/**
 * The layout's dependency rules, checked on every `npm test`. Imports are read from the source
 * text (static, dynamic and re-exports) and resolved against the importing file, so a rule is
 * about where the imported file lives, not how its path is spelt.
 */

export interface Rule {
  /** Files this rule applies to (a folder prefix, relative to the repository root). */
  scope: string;
  why: string;
  /** Folder prefixes a relative import may resolve into; undefined: any. */
  allowFolders?: string[];
  /** Folder prefixes a relative import must not resolve into. */
  denyFolders?: string[];
  /** Bare (package) imports allowed; undefined: any. */
  allowPackages?: string[];
}

export const RULES: Rule[] = [
  {
    scope: 'functions/core/',
    why: 'the domain is pure: no I/O, no SDK, only its own files, big.js and zod',
    allowFolders: ['functions/core/'],
    allowPackages: ['big.js', 'zod'],
  },
  {
    scope: 'functions/finance/',
    why: 'finance views are pure and build only on the domain',
    allowFolders: ['functions/finance/', 'functions/core/'],
    allowPackages: [],
  },
  {
    scope: 'functions/contract/',
    why: 'the contract is plain data shared by the stack and the runtime',
    allowFolders: ['functions/contract/'],
    allowPackages: [],
  },
  {
    scope: 'lib/',
    why: 'the stack knows the runtime only through the contract and pure domain modules',
    allowFolders: ['lib/', 'functions/contract/', 'functions/core/'],
  },
  {
    scope: 'functions/adapters/',
    why: 'adapters serve the core; the command line is built on them, never the reverse',
    denyFolders: ['functions/cli/', 'functions/handler/'],
  },
  {
    scope: 'functions/handler/',
    why: 'the Lambda wiring must not pull in the command line',
    denyFolders: ['functions/cli/'],
  },
  {
    scope: 'sim/',
    why: 'the simulator is the independent check of the client: it shares no product code',
    allowFolders: ['sim/'],
  },
];

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(['"])([^'"\n]+)\1/g;

export function importsOf(source: string): string[] {
  return [...source.matchAll(IMPORT)].map((m) => m[2] as string);
}

/** Every rule broken by `files` (repository-relative path -> source), one line each. */
export function violations(files: ReadonlyMap<string, string>, rules: Rule[] = RULES): string[] {
  const found: string[] = [];
  for (const [file, source] of files) {
    const applicable = rules.filter((r) => file.startsWith(r.scope));
    if (applicable.length === 0) continue;
    for (const specifier of importsOf(source)) {
      const relativeImport = specifier.startsWith('.');
      const target = relativeImport ? posix.normalize(posix.join(posix.dirname(file), specifier)) : specifier;
      for (const rule of applicable) {
        const broken = relativeImport
          ? (rule.allowFolders !== undefined && !rule.allowFolders.some((f) => target.startsWith(f))) ||
            (rule.denyFolders ?? []).some((f) => target.startsWith(f))
          : rule.allowPackages !== undefined && !rule.allowPackages.some((p) => isPackage(specifier, p));
        if (broken) found.push(`${file} imports ${specifier}: ${rule.why}`);
      }
    }
  }
  return found;
}

function isPackage(specifier: string, name: string): boolean {
  return specifier === name || specifier.startsWith(`${name}/`);
}

/** The repository's TypeScript and module sources under the given folders. */
export function readSources(root: string, folders: string[]): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|mts|mjs|js)$/.test(entry.name))
        files.set(relative(root, path).split('\\').join('/'), readFileSync(path, 'utf8'));
    }
  };
  for (const folder of folders) walk(join(root, folder));
  return files;
}
