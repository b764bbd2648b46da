import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDateString, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { IsMoney } from '../../common/money.validator';
import { PageQuery } from '../../common/pagination';
import { NORMALIZED_UID } from '../../cards/uid';
import { toUid, UID_MESSAGE } from '../../cards/dto/card-requests.dto';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';

export class TopUpDto {
  @ApiProperty() @IsUUID()
  cardId: string;

  @ApiProperty({ example: '100.00' }) @IsMoney()
  amount: string;

  @ApiProperty({ enum: ['cash', 'bank_card', 'mobile'] }) @IsIn(['cash', 'bank_card', 'mobile'])
  method: 'cash' | 'bank_card' | 'mobile';
}

export class PaymentDto {
  @ApiProperty({ example: '04A1B2C3D4E5F6' })
  @Transform(toUid) @Matches(NORMALIZED_UID, { message: UID_MESSAGE })
  uid: string;

  @ApiProperty({ example: '12.50' }) @IsMoney()
  amount: string;

  @ApiPropertyOptional({ example: '午餐' })
  @IsOptional() @IsString() @MaxLength(200) @Matches(PLAIN_TEXT, { message: 'description must be non-blank text without control characters' })
  description?: string;
}

export class RefundDto {
  @ApiPropertyOptional({ example: '5.00', description: 'default: what is left to refund' })
  @ValidateIf((o: RefundDto) => o.amount !== undefined) @IsMoney()
  amount?: string;
}

/** Paging plus the reconciliation filters, in one DTO: unknown query fields are refused. */
export class MerchantPaymentsQuery extends PageQuery {
  @ApiPropertyOptional({ example: '2026-11-29', description: 'a day in Asia/Shanghai' })
  @IsOptional() @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date must be YYYY-MM-DD' }) @IsDateString({ strict: true, strictSeparator: true }, { message: 'date must be a real calendar day' })
  date?: string;

  @ApiPropertyOptional({ enum: ['approved', 'declined'] })
  @IsOptional() @IsIn(['approved', 'declined'])
  status?: 'approved' | 'declined';
}
