import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';

export class SearchResidentsDto {
  @ApiProperty({ example: '张秀英', description: 'part of a name; ID numbers go to POST /v1/residents/lookup' })
  @IsString() @MaxLength(100) @Matches(PLAIN_TEXT, { message: 'name must be non-blank text without control characters' })
  name: string;
}
