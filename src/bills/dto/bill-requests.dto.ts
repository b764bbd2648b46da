import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDateString, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength } from 'class-validator';
import { IsMoney } from '../../common/money.validator';
import { PageQuery } from '../../common/pagination';
import { PAYEES, type Payee } from '../bill-accounts';

/** A utility's bill number: printable, no control characters, no spaces at either end (they would hide a duplicate). */
export const REFERENCE = /^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$/;

/** Years 1900-2099: the database's date type refuses year 0, and no utility bills further out. */
const DUE_DATE = /^(19|20)\d{2}-\d{2}-\d{2}$/;

/** One bill, from JSON or from one line of an import file; both are validated by this class. */
export class CreateBillDto {
  @ApiProperty() @IsUUID()
  residentId: string;

  @ApiProperty({ enum: PAYEES }) @IsIn(PAYEES)
  payee: Payee;

  @ApiProperty({ example: '86.40' }) @IsMoney()
  amount: string;

  @ApiProperty({ example: '2026-12-15', description: 'a calendar day; overdue from the next day in Asia/Shanghai' })
  @Matches(DUE_DATE, { message: 'dueDate must be YYYY-MM-DD (years 1900-2099)' })
  @IsDateString({ strict: true, strictSeparator: true }, { message: 'dueDate must be a real calendar day' })
  dueDate: string;

  @ApiProperty({ example: 'SH-WATER-2026-11-000123', description: 'unique across all bills' })
  @IsString() @MaxLength(64) @Matches(REFERENCE, { message: 'reference must be printable text without control characters or spaces at either end' })
  reference: string;
}

export class PayBillDto {
  @ApiProperty() @IsUUID()
  cardId: string;
}

export class ResidentBillsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['unpaid', 'paid'] })
  @IsOptional() @IsIn(['unpaid', 'paid'])
  status?: 'unpaid' | 'paid';
}
