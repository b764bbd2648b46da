import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDateString, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateNested } from 'class-validator';
import { IsInstant } from '../../common/instant.validator';
import { PageQuery } from '../../common/pagination';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';

const plain = (field: string) => ({ message: `${field} must be non-blank text without control characters` });
const HH_MM = /^([01][0-9]|2[0-3]):[0-5][0-9]$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export class CreateDoorDto {
  @ApiProperty({ example: '金杨新村 north gate' })
  @IsString() @MaxLength(200) @Matches(PLAIN_TEXT, plain('name'))
  name: string;

  @ApiProperty({ example: '金杨新村' })
  @IsString() @MaxLength(100) @Matches(PLAIN_TEXT, plain('community'))
  community: string;

  @ApiPropertyOptional({ example: '12号楼', description: 'absent: a community gate' })
  @IsOptional() @IsString() @MaxLength(50) @Matches(PLAIN_TEXT, plain('building'))
  building?: string;
}

export class HoursDto {
  @ApiProperty({ example: '07:00' })
  @Matches(HH_MM, { message: 'hours.from must be HH:MM, 00:00 to 23:59' })
  from: string;

  @ApiProperty({ example: '19:00', description: 'exclusive; earlier than from wraps past midnight' })
  @Matches(HH_MM, { message: 'hours.to must be HH:MM, 00:00 to 23:59' })
  to: string;
}

export class CreateGrantDto {
  @ApiProperty()
  @IsUUID()
  residentId: string;

  @ApiPropertyOptional({ example: '2026-12-01', description: 'first day, Asia/Shanghai, inclusive' })
  @IsOptional() @IsDateString({ strict: true, strictSeparator: true }) @Matches(DAY, { message: 'validFrom must be YYYY-MM-DD' })
  validFrom?: string;

  @ApiPropertyOptional({ example: '2027-05-31', description: 'last day, Asia/Shanghai, inclusive' })
  @IsOptional() @IsDateString({ strict: true, strictSeparator: true }) @Matches(DAY, { message: 'validUntil must be YYYY-MM-DD' })
  validUntil?: string;

  @ApiPropertyOptional({ type: HoursDto, description: 'daily hours, Asia/Shanghai' })
  @IsOptional() @ValidateNested() @Type(() => HoursDto)
  hours?: HoursDto;
}

export class AllowlistQueryDto {
  @ApiPropertyOptional({ description: 'a version from an earlier list: answer with what changed since' })
  @IsOptional() @Matches(/^(0|[1-9][0-9]{0,14})$/, { message: 'since must be a version number' })
  since?: string;
}

export class DoorEventsQueryDto extends PageQuery {
  @ApiPropertyOptional()
  @IsOptional() @IsUUID()
  cardId?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, inclusive' })
  @IsOptional() @IsInstant()
  from?: string;

  @ApiPropertyOptional({ description: 'ISO 8601, exclusive' })
  @IsOptional() @IsInstant()
  to?: string;
}
