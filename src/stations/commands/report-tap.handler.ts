import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Knex } from 'knex';
import { cardView } from '../../cards/card.view';
import { CardsRepository } from '../../cards/cards.repository';
import { InjectKnex } from '../../db/database.module';
import { ResidentPii } from '../../residents/resident-pii';
import { ResidentsRepository } from '../../residents/residents.repository';
import { StationFeed } from '../station-feed';
import type { TapView } from '../tap.view';
import { ReportTapCommand } from './report-tap.command';

/**
 * Resolves a tapped UID to its card once, here, so every console watching the station
 * shows the same thing without a call of its own; then hands the tap to the feed.
 */
@CommandHandler(ReportTapCommand)
export class ReportTapHandler implements ICommandHandler<ReportTapCommand> {
  constructor(
    @InjectKnex() private readonly knex: Knex,
    private readonly cards: CardsRepository,
    private readonly residents: ResidentsRepository,
    private readonly pii: ResidentPii,
    private readonly feed: StationFeed,
  ) {}

  async execute({ station, uid }: ReportTapCommand): Promise<TapView> {
    const tap = { station, uid, at: new Date().toISOString(), ...(await this.resolve(uid)) };
    await this.feed.publish(tap);
    return tap;
  }

  private async resolve(uid: string): Promise<Pick<TapView, 'card' | 'retired'>> {
    const row = await this.cards.findHolderOfUid(this.knex, uid);
    if (!row) return { card: null, retired: await this.cards.isRetired(this.knex, uid) };
    const resident = await this.residents.findById(this.knex, row.resident_id);
    return {
      card: { ...cardView(row), resident: { id: row.resident_id, name: resident?.name ?? '', idNumberMasked: resident ? this.pii.idNumberMasked(resident) : '' } },
      retired: false,
    };
  }
}
