import type { CardView } from '../cards/card.view';

/** Just enough of the holder for staff to greet the right person; the rest is one call away. */
export interface TappedCard extends CardView {
  resident: { id: string; name: string; idNumberMasked: string };
}

/** One tap on a station's reader, as POST /v1/stations/:id/taps answers it and the station's stream sends it. */
export interface TapView {
  station: string;
  uid: string;
  at: string;
  /** The card that holds the UID (any status but closed), or null for a blank card. */
  card: TappedCard | null;
  /** A blank card whose UID once belonged to a card reported lost or stolen: it can never be issued. */
  retired: boolean;
}
