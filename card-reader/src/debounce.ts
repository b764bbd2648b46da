/**
 * A card held at the edge of the field comes and goes several times a second, and pcscd
 * reports each as a new card: the same UID seen again within the window is the same tap.
 * The window slides (it counts from the last time the UID was seen, not the first), so a
 * card that keeps bouncing never taps twice.
 */
export class Debouncer {
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** true: a new tap; false: the same card again within the window. */
  accept(uid: string): boolean {
    const t = this.now();
    for (const [seen, at] of this.lastSeen) if (t - at >= this.windowMs) this.lastSeen.delete(seen);
    const fresh = !this.lastSeen.has(uid);
    this.lastSeen.set(uid, t);
    return fresh;
  }
}
