import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID, Matches } from 'class-validator';
import { IsInstant } from '../../common/instant.validator';
import { PageQuery } from '../../common/pagination';

/** "POST /v1/cards/:id/lock", or a route pattern alone ("/v1/cards/:id/lock") for every method. */
export const ACTION = /^((GET|HEAD|POST|PUT|PATCH|DELETE) )?\/[A-Za-z0-9_:./-]{0,200}$/;

export class AuditEventsQueryDto extends PageQuery {
  // PageQuery's own validators apply; redeclared only to appear in the OpenAPI document.
  @ApiPropertyOptional({ default: 50, minimum: 1, maximum: 500 })
  override limit: number = 50;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  override cursor?: string;

  @ApiPropertyOptional({ description: 'only the actions of this API key (its id)' })
  @IsOptional() @IsUUID()
  keyId?: string;

  @ApiPropertyOptional({ example: '2026-12-01T00:00:00Z', description: 'ISO 8601, inclusive' })
  @IsOptional() @IsInstant()
  from?: string;

  @ApiPropertyOptional({ example: '2026-12-02T00:00:00Z', description: 'ISO 8601, exclusive' })
  @IsOptional() @IsInstant()
  to?: string;

  @ApiPropertyOptional({ example: 'POST /v1/cards/:id/lock', description: 'the method and route pattern, or the route pattern alone' })
  @IsOptional() @Matches(ACTION, { message: 'action must be a method and a route pattern, like "POST /v1/cards/:id/lock", or the pattern alone' })
  action?: string;

  @ApiPropertyOptional({ example: 'forbidden', description: '"ok", or an error code' })
  @IsOptional() @Matches(/^[a-z][a-z0-9_]{0,63}$/, { message: 'outcome must be "ok" or an error code' })
  outcome?: string;

  @ApiPropertyOptional({ description: 'only actions that touched this resource (a card, a resident, a key, ...)' })
  @IsOptional() @Matches(/^[A-Za-z0-9][A-Za-z0-9_:.-]{0,63}$/, { message: 'resourceId must be an id' })
  resourceId?: string;
}
