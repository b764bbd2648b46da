#!/usr/bin/env node
// `npm start`: builds if the compiled service is missing or older than its sources, then runs it.
// `npm run migrate` (--migrate): the same, but only applies migrations.
// `npm run pii:rotate` (--pii-rotate): the same, but re-encrypts residents' personal data under the current key.
const { execFileSync, spawn } = require('node:child_process');
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entry = join(root, 'dist/src/main.js');

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, name.name);
    if (name.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (name.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

const sources = ['src', 'ledger', 'migrations'].map((d) => newestSource(join(root, d)));
if (!existsSync(entry) || Math.max(...sources) > statSync(entry).mtimeMs) {
  console.error('building...');
  execFileSync(process.execPath, [require.resolve('@nestjs/cli/bin/nest.js'), 'build'], { cwd: root, stdio: 'inherit' });
}

const target = process.argv.includes('--migrate')
  ? join(root, 'dist/src/db/migrate.js')
  : process.argv.includes('--pii-rotate')
    ? join(root, 'dist/src/residents/pii-rotate.js')
    : entry;
const child = spawn(process.execPath, [target], { stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 0));
