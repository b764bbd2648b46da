import { ValidationFailed } from '../common/domain-error';

/** A desk station's name, as the bridge and the console are configured with it: "S1", "desk-2". */
export const STATION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

/** `@Param('id', stationParam)`: a station id is a short slug, so it can never smuggle a path or a header. */
export const stationParam = {
  transform(value: unknown): string {
    if (typeof value !== 'string' || !STATION_ID.test(value)) {
      throw new ValidationFailed('id: must be a station id of 1-32 letters, digits, "-" or "_", starting with a letter or digit');
    }
    return value;
  },
};
