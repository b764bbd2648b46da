#!/usr/bin/env node
// A plain JS entry so npm can link the bin before anything is compiled; the program is in dist/.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const entry = join(__dirname, '..', 'dist', 'cli.js');
if (!existsSync(entry)) {
  console.error('card-reader is not built yet: run `npm run build` at the repository root.');
  process.exit(3);
}
require(entry)
  .main(process.argv.slice(2))
  .catch((err) => {
    console.error(err);
    process.exit(1);
  });
