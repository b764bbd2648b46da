/** What to tell a desk whose install has no working nfc-pcsc (it is an optional dependency). */
export function missingReaderLibrary(detail: string): string {
  return [
    `card-reader: the PC/SC reader library (nfc-pcsc) is not usable here: ${detail}`,
    'nfc-pcsc is an optional dependency; npm skips it when its native part cannot be built.',
    'On Debian or Ubuntu install pcscd (libccid: its USB reader driver), the PC/SC headers and a compiler, then reinstall:',
    '  sudo apt-get install --no-install-recommends pcscd libccid libpcsclite-dev g++ make python3',
    '  npm ci          # at the repository root (or: npm install)',
  ].join('\n');
}

/** Resolves nfc-pcsc without loading its native part; the reason it cannot be found, or null. */
export function findReaderLibrary(resolve: (id: string) => string = require.resolve): string | null {
  try {
    resolve('nfc-pcsc');
    return null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' ? 'it is not installed' : (err as Error).message;
  }
}
