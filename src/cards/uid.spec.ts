import { normalizeUid } from './uid';

test.each([
  ['04a1b2c3', '04A1B2C3'],
  ['04:A1:B2:C3', '04A1B2C3'],
  ['04-a1-b2-c3-d4-e5-f6', '04A1B2C3D4E5F6'],
  ['04 a1 b2 c3 d4 e5 f6', '04A1B2C3D4E5F6'],
  ['0102030405060708090a', '0102030405060708090A'],
])('normalises %s', (input, uid) => {
  expect(normalizeUid(input)).toBe(uid);
});

test.each(['', '04a1b2', '04a1b2c3d4', '04a1b2c3d4e5f6a7', 'zz a1 b2 c3', '04::a1:b2:c3', '04a1b2c', ':04a1b2c3', '04a1b2c3:', 1234, null, '0'.repeat(41)])(
  'refuses %p',
  (input) => {
    expect(normalizeUid(input)).toBeNull();
  },
);
