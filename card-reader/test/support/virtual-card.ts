import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';

/**
 * A contactless card on vpcd's virtual reader. Connecting to vpcd's port puts it in the
 * field, disconnecting takes it away. Both ways every message is a 2-byte big-endian
 * length and a payload; from vpcd a single byte is a control (00 power off, 01 power on,
 * 02 reset, 04 get ATR, the only one answered) and anything longer an APDU, answered with
 * the response APDU. The card answers like a PC/SC reader with a MIFARE Classic or an
 * Ultralight in front of it: GET DATA for the UID, load key and authenticate, READ BINARY
 * and UPDATE BINARY on its memory.
 */

export type CardKind = 'classic' | 'ultralight' | 'iso14443-4';

// PC/SC part 3 storage-card ATRs (card name 0001: Classic 1K; 0003: Ultralight), and a DESFire's.
const ATRS: Record<CardKind, string> = {
  classic: '3B8F8001804F0CA000000306030001000000006A',
  ultralight: '3B8F8001804F0CA0000003060300030000000068',
  'iso14443-4': '3B8180018080',
};

const OK = Buffer.from([0x90, 0x00]);

export interface VirtualCardOptions {
  uid: string;
  kind?: CardKind;
  /** Leaves the field the moment the reader asks for its UID, before answering. */
  shortTap?: boolean;
  /** Leaves the field at the first write, before answering it. */
  leaveOnWrite?: boolean;
}

export class VirtualCard extends EventEmitter {
  readonly uid: string;
  readonly kind: CardKind;
  readonly memory = Buffer.alloc(1024);
  /** Every APDU received, hex, upper case. */
  readonly apdus: string[] = [];
  private socket: Socket | null = null;
  private shortTap: boolean;
  private leaveOnWrite: boolean;

  constructor(opts: VirtualCardOptions) {
    super();
    this.uid = opts.uid.toUpperCase();
    this.kind = opts.kind ?? 'classic';
    this.shortTap = opts.shortTap ?? false;
    this.leaveOnWrite = opts.leaveOnWrite ?? false;
  }

  get blockSize(): number {
    return this.kind === 'classic' ? 16 : 4;
  }

  /** Bytes from block (or page) `first` on. */
  read(first: number, length: number): Buffer {
    return Buffer.from(this.memory.subarray(first * this.blockSize, first * this.blockSize + length));
  }

  get present(): boolean {
    return this.socket !== null;
  }

  /** Into the field of the reader behind vpcd's `port`. */
  insert(port: number): Promise<void> {
    if (this.socket) throw new Error('the card is already on the reader');
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      this.socket = socket;
      let buffered = Buffer.alloc(0);
      socket.once('connect', () => {
        this.emit('inserted');
        resolve();
      });
      socket.once('error', (err) => {
        this.socket = null;
        reject(err);
      });
      socket.on('close', () => {
        if (this.socket === socket) this.socket = null;
        this.emit('removed');
      });
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          const message = buffered.subarray(2, 2 + buffered.readUInt16BE(0));
          buffered = buffered.subarray(2 + message.length);
          this.onMessage(socket, Buffer.from(message));
        }
      });
    });
  }

  /** Out of the field. */
  async remove(): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    this.socket = null;
    const closed = new Promise((r) => socket.once('close', r));
    socket.destroy();
    await closed;
  }

  /** Resolves when the reader has read the UID (the GET DATA was answered). */
  uidRead(): Promise<void> {
    return new Promise((resolve) => this.once('uid-read', resolve));
  }

  private onMessage(socket: Socket, message: Buffer): void {
    if (message.length === 1) {
      if (message[0] === 0x04) this.send(socket, Buffer.from(ATRS[this.kind], 'hex'));
      return;
    }
    this.apdus.push(message.toString('hex').toUpperCase());
    this.emit('apdu', message);
    const response = this.respond(message);
    if (response === null) {
      // The card leaves mid-exchange: the reader gets no answer at all.
      socket.destroy();
      this.emit('short-tap');
      return;
    }
    this.send(socket, response);
    if (message[0] === 0xff && message[1] === 0xca) this.emit('uid-read');
  }

  private respond(apdu: Buffer): Buffer | null {
    const [cla, ins, p1, p2] = apdu;
    if (this.kind === 'iso14443-4' && cla === 0x00 && ins === 0xa4) return Buffer.from([0x6a, 0x82]);
    if (cla !== 0xff) return Buffer.from([0x6e, 0x00]);
    switch (ins) {
      case 0xca:
        if (this.shortTap) return null;
        return Buffer.concat([Buffer.from(this.uid, 'hex'), OK]);
      case 0x82: // load authentication key
      case 0x86: // authenticate
        return OK;
      case 0xb0: {
        const length = apdu[4] || 16;
        const at = ((p1 << 8) | p2) * this.blockSize;
        return Buffer.concat([this.memory.subarray(at, at + length), OK]);
      }
      case 0xd6: {
        if (this.leaveOnWrite) return null;
        const data = apdu.subarray(5, 5 + apdu[4]);
        data.copy(this.memory, ((p1 << 8) | p2) * this.blockSize);
        return OK;
      }
      default:
        return Buffer.from([0x6d, 0x00]);
    }
  }

  private send(socket: Socket, payload: Buffer): void {
    const header = Buffer.alloc(2);
    header.writeUInt16BE(payload.length);
    socket.write(Buffer.concat([header, payload]));
  }
}
