import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayUnique, IsArray, IsDateString, IsDefined, IsObject, IsOptional, IsString, Matches, MaxLength, ValidateNested } from 'class-validator';
import { AddressDto, PLAIN_TEXT } from './address.dto';
import { IsIdNumber, IsPhone, TAG, toIdNumber, toPhone } from './resident-fields';

export class RegisterResidentDto {
  @ApiProperty({ example: '张秀英' })
  @IsString() @MaxLength(100) @Matches(PLAIN_TEXT, { message: 'name must be non-blank text without control characters' })
  name: string;

  @ApiProperty({ example: '11010519491231002X', description: 'never printed back in full' })
  @Transform(toIdNumber) @IsIdNumber()
  idNumber: string;

  @ApiProperty({ example: '1949-12-31' })
  @IsDateString({ strict: true, strictSeparator: true }) @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be YYYY-MM-DD' })
  birthDate: string;

  @ApiPropertyOptional({ example: '13800138000', description: 'printed back masked' })
  @IsOptional() @Transform(toPhone) @IsPhone()
  phone?: string;

  @ApiProperty({ type: AddressDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => AddressDto)
  address: AddressDto;

  @ApiPropertyOptional({ type: [String], example: ['dibao'] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @ArrayUnique() @Matches(TAG, { each: true, message: 'tags must be lower-case slugs like "dibao"' })
  tags?: string[];
}
