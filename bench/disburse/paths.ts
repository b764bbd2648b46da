import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The compiled bench lives in dist/bench/disburse, the source in bench/disburse: find the package either way. */
export function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return resolve('.');
    dir = parent;
  }
  return dir;
}

/** bench/results/ (gitignored): JSON results and service logs. */
export function resultsDir(): string {
  const dir = join(repoRoot(), 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  return dir;
}
