import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches, MaxLength } from 'class-validator';

/** Printable text with something in it: no control characters, not only spaces. */
export const PLAIN_TEXT = /^(?!\s*$)[^\x00-\x1f\x7f]+$/;
const plain = (field: string) => ({ message: `${field} must be non-blank text without control characters` });

export class AddressDto {
  @ApiProperty({ example: '金杨新村' })
  @IsString() @MaxLength(100) @Matches(PLAIN_TEXT, plain('address.community'))
  community: string;

  @ApiProperty({ example: '12号楼' })
  @IsString() @MaxLength(50) @Matches(PLAIN_TEXT, plain('address.building'))
  building: string;

  @ApiPropertyOptional({ example: '2单元' })
  @IsOptional() @IsString() @MaxLength(50) @Matches(PLAIN_TEXT, plain('address.unit'))
  unit?: string;

  @ApiPropertyOptional({ example: '301' })
  @IsOptional() @IsString() @MaxLength(50) @Matches(PLAIN_TEXT, plain('address.room'))
  room?: string;
}
