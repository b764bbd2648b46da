import { canonicalJson, sha256Hex } from './canonical';

describe('canonicalJson', () => {
  it('does not depend on key insertion order, at any depth', () => {
    const a = { b: 1, a: { d: 2, c: [3, { f: 'x', e: null }] } };
    const b = { a: { c: [3, { e: null, f: 'x' }], d: 2 }, b: 1 };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":[3,{"e":null,"f":"x"}],"d":2},"b":1}');
  });

  it('keeps array order, which is meaningful', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('tells different values apart', () => {
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: '1' }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ b: 1 }));
    expect(canonicalJson({ a: { b: 1 } })).not.toBe(canonicalJson({ a: [1] }));
  });

  it('omits undefined properties, as JSON does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('produces JSON that parses back to the same value', () => {
    const value = { 'q"uote': 'line\nbreak', unicode: '智慧社区卡', n: -1.5, t: true, nested: [{}, []] };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('serialises values with toJSON the way JSON.stringify does', () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    expect(canonicalJson({ at })).toBe('{"at":"2026-01-02T03:04:05.678Z"}');
    expect(canonicalJson({ at })).not.toBe(canonicalJson({ at: new Date(0) }));
  });

  it('handles bare primitives', () => {
    expect(canonicalJson('x')).toBe('"x"');
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson(7)).toBe('7');
  });
});

describe('sha256Hex', () => {
  it('matches the FIPS 180-2 test vector', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('hashes text as UTF-8, not Latin-1', () => {
    expect(sha256Hex('é')).toBe('4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c');
  });
});
