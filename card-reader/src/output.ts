/**
 * What the bridge prints. Human mode: results on stdout, one line each; status and
 * problems on stderr. --json: every event, results and status alike, as one JSON line on
 * stdout ({"event": ..., "at": ..., ...}), so a script reads one stream.
 */
export interface Writer {
  write(text: string): unknown;
}

export class Output {
  constructor(
    private readonly json: boolean,
    private readonly stdout: Writer = process.stdout,
    private readonly stderr: Writer = process.stderr,
    private readonly verbose = false,
  ) {}

  /** The answer to a tap (or to the command): what the desk is waiting for. */
  result(event: string, data: Record<string, unknown>, human: string): void {
    if (this.json) this.line(event, data);
    else this.stdout.write(`${human}\n`);
  }

  /** Something about the bridge itself: readers coming and going, pcscd lost and back. */
  status(event: string, data: Record<string, unknown>, human: string): void {
    if (this.json) this.line(event, data);
    else this.stderr.write(`${human}\n`);
  }

  /** Only with --verbose: short taps, debounced cards, reader warnings. */
  debug(event: string, data: Record<string, unknown>, human: string): void {
    if (this.verbose) this.status(event, data, human);
  }

  error(event: string, data: Record<string, unknown>, human: string): void {
    if (this.json) this.line(event, data);
    else this.stderr.write(`${human}\n`);
  }

  private line(event: string, data: Record<string, unknown>): void {
    this.stdout.write(`${JSON.stringify({ event, at: new Date().toISOString(), ...data })}\n`);
  }
}

/**
 * A resident's name as the desk may show it: the first character (the surname, for most
 * Chinese names) and, of three or more, the last; one * for each in between. The same rule
 * as the service's receipts (张秀英 → 张*英, 张三 → 张*, 欧阳娜娜 → 欧**娜).
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return '*';
  if (chars.length === 2) return `${chars[0]}*`;
  return chars[0] + '*'.repeat(chars.length - 2) + chars[chars.length - 1];
}
