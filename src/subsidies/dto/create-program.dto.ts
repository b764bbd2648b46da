import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsDefined, IsIn, IsInt, IsObject, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateIf, ValidateNested } from 'class-validator';
import { IsMoney } from '../../common/money.validator';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';
import { TAG } from '../../residents/dto/resident-fields';

const SLUG = /^[a-z][a-z0-9_-]{0,31}$/;

export class EligibilityDto {
  @ApiPropertyOptional({ example: 60 }) @IsOptional() @IsInt() @Min(0) @Max(150)
  minAge?: number;

  @ApiPropertyOptional({ example: 79 }) @IsOptional() @IsInt() @Min(0) @Max(150)
  maxAge?: number;

  @ApiPropertyOptional({ type: [String], example: ['dibao'] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @ArrayUnique() @Matches(TAG, { each: true, message: 'eligibility.tags must be lower-case slugs like "dibao"' })
  tags?: string[];
}

export class CreateProgramDto {
  @ApiProperty({ example: '长者助餐补贴' })
  @IsString() @MaxLength(200) @Matches(PLAIN_TEXT, { message: 'name must be non-blank text without control characters' })
  name: string;

  @ApiProperty({ enum: ['allowance', 'discount'] }) @IsIn(['allowance', 'discount'])
  kind: 'allowance' | 'discount';

  @ApiProperty({ type: [String], example: ['canteen'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(20) @ArrayUnique() @Matches(SLUG, { each: true, message: 'merchantCategories must be lower-case slugs like "canteen"' })
  merchantCategories: string[];

  @ApiProperty({ type: EligibilityDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => EligibilityDto)
  eligibility: EligibilityDto;

  @ApiProperty({ example: '200.00' }) @IsMoney()
  amount: string;

  @ApiPropertyOptional({ example: 30, description: 'allowance: days a disbursement stays spendable' })
  @ValidateIf((o: CreateProgramDto) => o.kind === 'allowance' || o.validDays !== undefined) @IsInt() @Min(1) @Max(3660)
  validDays?: number;

  @ApiPropertyOptional({ example: '15.00', description: 'discount: the smallest purchase that gets it' })
  @ValidateIf((o: CreateProgramDto) => o.minSpend !== undefined) @Matches(/^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$/, { message: 'minSpend must be a string amount in yuan, like "15.00"' })
  minSpend?: string;

  @ApiPropertyOptional({ example: 1, description: 'discount: times per Shanghai day' })
  @ValidateIf((o: CreateProgramDto) => o.dailyLimit !== undefined) @IsInt() @Min(1) @Max(100)
  dailyLimit?: number;
}

export class FundProgramDto {
  @ApiProperty({ example: '100000.00' }) @IsMoney()
  amount: string;
}

export class DisburseDto {
  @ApiProperty({ example: '2026-12' })
  @IsString() @Matches(/^[0-9]{4}-(0[1-9]|1[0-2])$/, { message: 'period must be YYYY-MM' })
  period: string;
}

export class ProgramReportQuery {
  @ApiPropertyOptional({ example: '2026-12' })
  @IsOptional() @IsString() @Matches(/^[0-9]{4}-(0[1-9]|1[0-2])$/, { message: 'period must be YYYY-MM' })
  period?: string;
}
