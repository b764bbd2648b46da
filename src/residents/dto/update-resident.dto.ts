import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsObject, Matches, ValidateIf, ValidateNested } from 'class-validator';
import { AddressDto } from './address.dto';
import { IsPhone, TAG, toPhone } from './resident-fields';

/** Absent means "leave as it is"; null is not a value any of these fields can take. */
const given = (field: keyof UpdateResidentDto) => ValidateIf((o: UpdateResidentDto) => o[field] !== undefined);

/** What may change after registration; name, ID number and birth date are fixed by the ID card. */
export class UpdateResidentDto {
  @ApiPropertyOptional({ example: '13800138000' })
  @given('phone') @Transform(toPhone) @IsPhone()
  phone?: string;

  @ApiPropertyOptional({ type: AddressDto })
  @given('address') @IsObject() @ValidateNested() @Type(() => AddressDto)
  address?: AddressDto;

  @ApiPropertyOptional({ type: [String] })
  @given('tags') @IsArray() @ArrayMaxSize(20) @ArrayUnique() @Matches(TAG, { each: true, message: 'tags must be lower-case slugs like "dibao"' })
  tags?: string[];
}
