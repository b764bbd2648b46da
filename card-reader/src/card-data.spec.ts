import { CARD_DATA_LENGTH, CLASSIC, decodeCardData, encodeCardData, layoutForAtr, ULTRALIGHT } from './card-data';

const CARD = '6b8d269b-80ae-4804-b5d5-c1a1e007cb69';
const UID = '04A1B2C3D4E5F6';

describe('layoutForAtr', () => {
  test.each([
    ['3B8F8001804F0CA000000306030001000000006A', CLASSIC], // MIFARE Classic 1K
    ['3B8F8001804F0CA0000003060300020000000069', CLASSIC], // 4K
    ['3B8F8001804F0CA0000003060300030000000068', ULTRALIGHT], // Ultralight, NTAG21x
    ['3B8F8001804F0CA000000306030004000000006F', null], // DESFire through a part 3 ATR: not ours to write
    ['3B8180018080', null], // ISO 14443-4
    ['', null],
  ])('%s', (atr, layout) => {
    expect(layoutForAtr(atr)).toEqual(layout);
  });
});

describe('card data', () => {
  test('32 bytes: the card id, "CCR" version 1, twelve bytes of check value', () => {
    const data = encodeCardData(UID, CARD);
    expect(data).toHaveLength(CARD_DATA_LENGTH);
    expect(data.subarray(0, 16).toString('hex')).toBe(CARD.replace(/-/g, ''));
    expect(data.subarray(16, 20)).toEqual(Buffer.from([0x43, 0x43, 0x52, 0x01]));
  });

  test('reads back as the card id, on the chip it was written for', () => {
    expect(decodeCardData(encodeCardData(UID, CARD), UID)).toEqual({ ok: true, cardId: CARD });
    expect(decodeCardData(encodeCardData(UID.toLowerCase(), CARD), UID)).toEqual({ ok: true, cardId: CARD });
  });

  test('copied onto another chip, the check value no longer matches', () => {
    expect(decodeCardData(encodeCardData(UID, CARD), '04A1B2C3D4E5F7')).toEqual({ ok: false, problem: 'check_failed' });
  });

  test('one bit flipped anywhere is caught', () => {
    const data = encodeCardData(UID, CARD);
    for (let i = 0; i < data.length; i++) {
      const torn = Buffer.from(data);
      torn[i] ^= 0x01;
      expect(decodeCardData(torn, UID).ok).toBe(false);
    }
  });

  test.each([
    [Buffer.alloc(32), 'blank'],
    [Buffer.alloc(32, 0xff), 'blank'],
    [Buffer.alloc(16), 'short'],
    [Buffer.concat([Buffer.alloc(16, 7), Buffer.from('NDEF'), Buffer.alloc(12)]), 'foreign'],
  ])('%p is %s', (data, problem) => {
    expect(decodeCardData(data, UID)).toEqual({ ok: false, problem });
  });

  test('a later format version is not misread', () => {
    const data = encodeCardData(UID, CARD);
    data[19] = 2;
    expect(decodeCardData(data, UID)).toEqual({ ok: false, problem: 'unknown_version' });
  });

  test('a card id that is not a UUID is refused before anything is written', () => {
    expect(() => encodeCardData(UID, 'card-1')).toThrow('not a UUID');
  });
});
