import { Rng } from '../support/rng';

/** The fuzz campaign's seeded generator, so that a crash campaign's choices replay with CRASH_SEED. */
export class Random extends Rng {
  constructor(readonly seed: number) {
    super(seed);
  }
}
