// nfc-pcsc 0.8.1 ships no types: the part of its API this bridge uses.
declare module 'nfc-pcsc' {
  import { EventEmitter } from 'node:events';

  export const TAG_ISO_14443_3: 'TAG_ISO_14443_3';
  export const TAG_ISO_14443_4: 'TAG_ISO_14443_4';
  export const KEY_TYPE_A: 0x60;
  export const KEY_TYPE_B: 0x61;

  export interface Card {
    atr?: Buffer;
    standard?: typeof TAG_ISO_14443_3 | typeof TAG_ISO_14443_4;
    type?: string;
    /** Hex, lower case; set only when the library itself read it (autoProcessing). */
    uid?: string;
    data?: Buffer;
  }

  export interface Logger {
    log(...args: unknown[]): void;
    debug(...args: unknown[]): void;
    info(...args: unknown[]): void;
    warn(...args: unknown[]): void;
    error(...args: unknown[]): void;
  }

  export class Reader extends EventEmitter {
    readonly name: string;
    /** The card currently in the field, or null once it has left. */
    card: Card | null;
    /** false: the library only connects and emits `card`; reading the UID is up to us. */
    autoProcessing: boolean;
    aid: string | Buffer | ((card: Card) => Buffer) | null;
    transmit(data: Buffer, responseMaxLength: number): Promise<Buffer>;
    loadAuthenticationKey(keyNumber: 0 | 1, key: string | Buffer): Promise<number>;
    authenticate(blockNumber: number, keyType: number, key: string | Buffer, obsolete?: boolean): Promise<true>;
    read(blockNumber: number, length: number, blockSize?: number, packetSize?: number, readClass?: number): Promise<Buffer>;
    write(blockNumber: number, data: Buffer, blockSize?: number): Promise<true | true[]>;
    close(): void;

    on(event: 'card', listener: (card: Card) => void): this;
    on(event: 'card.off', listener: (card: Card) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: 'end', listener: () => void): this;
  }

  export class NFC extends EventEmitter {
    /** Busy-loops until pcscd answers: never construct it without a live pcscd. */
    constructor(logger?: Logger);
    readonly readers: Record<string, unknown>;
    /** Emits `error` while closing: keep an error listener attached. */
    close(): void;

    on(event: 'reader', listener: (reader: Reader) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
  }
}
