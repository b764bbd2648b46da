import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsMoney } from '../../common/money.validator';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';

export class CreateProjectDto {
  @ApiProperty({ example: '金杨社区助老餐桌' })
  @IsString() @MaxLength(100) @Matches(PLAIN_TEXT, { message: 'name must be non-blank text without control characters' })
  name: string;

  @ApiPropertyOptional({ example: '50000.00', description: 'what the project hopes to raise; donations beyond it are still accepted' })
  @ValidateIf((o: CreateProjectDto) => o.goal !== undefined) @IsMoney()
  goal?: string;
}

export class DonateDto {
  @ApiProperty() @IsUUID()
  cardId: string;

  @ApiProperty() @IsUUID()
  projectId: string;

  @ApiProperty({ example: '100.00' }) @IsMoney()
  amount: string;
}
