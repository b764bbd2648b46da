import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '../auth/principal';
import { Roles } from '../auth/roles';
import type { ResidentView } from '../residents/resident.view';
import { SearchResidentsDto } from './dto/search-residents.dto';
import { SearchResidentsQuery } from './queries/search-residents.query';

/** What the desk console needs beyond the contract's resources. */
@ApiTags('desk')
@ApiBearerAuth()
@Controller('v1/desk')
@Roles('operator', 'admin')
export class DeskController {
  constructor(private readonly queries: QueryBus) {}

  /** Signing in to the console checks the key here and greets the desk by its key's name. */
  @Get('me')
  me(@CurrentPrincipal() by: Principal): { name: string; role: string } {
    return { name: by.name, role: by.role };
  }

  /** A POST, like the ID-number lookup, so that names stay out of URLs and access logs. */
  @Post('residents/search')
  @HttpCode(200)
  search(@Body() dto: SearchResidentsDto): Promise<{ items: ResidentView[] }> {
    return this.queries.execute(new SearchResidentsQuery(dto.name));
  }
}
