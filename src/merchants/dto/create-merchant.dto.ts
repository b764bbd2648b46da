import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches, MaxLength } from 'class-validator';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';

export class CreateMerchantDto {
  @ApiProperty({ example: '金杨社区长者食堂' })
  @IsString() @MaxLength(200) @Matches(PLAIN_TEXT, { message: 'name must be non-blank text without control characters' })
  name: string;

  @ApiProperty({ example: 'canteen', description: 'a slug such as canteen, grocery, pharmacy' })
  @IsString() @Matches(/^[a-z][a-z0-9_-]{0,31}$/, { message: 'category must be a lower-case slug like "canteen"' })
  category: string;
}
