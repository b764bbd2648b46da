import { Command } from '@nestjs/cqrs';
import type { Principal } from '../../auth/principal';
import type { ProjectView } from '../donation.view';

export class CreateProjectCommand extends Command<ProjectView> {
  constructor(
    readonly name: string,
    readonly goal: string | undefined,
    readonly by: Principal,
  ) {
    super();
  }
}
