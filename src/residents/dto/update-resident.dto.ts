import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsOptional, Matches, ValidateNested } from 'class-validator';
import { AddressDto } from './address.dto';
import { IsPhone, TAG, toPhone } from './resident-fields';

/** What may change after registration; name, ID number and birth date are fixed by the ID card. */
export class UpdateResidentDto {
  @ApiPropertyOptional({ example: '13800138000' })
  @IsOptional() @Transform(toPhone) @IsPhone()
  phone?: string;

  @ApiPropertyOptional({ type: AddressDto })
  @IsOptional() @ValidateNested() @Type(() => AddressDto)
  address?: AddressDto;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @ArrayUnique() @Matches(TAG, { each: true, message: 'tags must be lower-case slugs like "dibao"' })
  tags?: string[];
}
