import { findReaderLibrary, missingReaderLibrary } from './dependency';

test('a missing nfc-pcsc: what to install, then to reinstall', () => {
  const missing = findReaderLibrary(() => {
    throw Object.assign(new Error("Cannot find module 'nfc-pcsc'"), { code: 'MODULE_NOT_FOUND' });
  });
  expect(missing).toBe('it is not installed');
  expect(findReaderLibrary(() => '/x/nfc-pcsc/dist/index.js')).toBeNull();
  const message = missingReaderLibrary(missing!);
  expect(message).toContain('sudo apt-get install --no-install-recommends pcscd libccid libpcsclite-dev g++ make python3');
  expect(message).toContain('npm ci');
});
