export class CreateDoorCommand {
  constructor(
    readonly name: string,
    readonly community: string,
    readonly building: string | null,
  ) {}
}
