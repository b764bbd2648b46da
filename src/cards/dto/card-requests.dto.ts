import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsUUID, Matches } from 'class-validator';
import { NORMALIZED_UID, normalizeUid } from '../uid';

/** Normalises a UID before validation; something that is not a UID stays as it was, to fail below. */
export const toUid = ({ value }: { value: unknown }) => normalizeUid(value) ?? value;
export const UID_MESSAGE = 'uid must be 4, 7 or 10 bytes of hex, bytes optionally separated by ":", "-" or " "';

export class IssueCardDto {
  @ApiProperty()
  @IsUUID()
  residentId: string;

  @ApiProperty({ example: '04:A1:B2:C3:D4:E5:F6' })
  @Transform(toUid) @Matches(NORMALIZED_UID, { message: UID_MESSAGE })
  uid: string;
}

export class LockCardDto {
  @ApiProperty({ enum: ['lost', 'stolen', 'suspended'] })
  @IsIn(['lost', 'stolen', 'suspended'])
  reason: 'lost' | 'stolen' | 'suspended';
}

export class ReplaceCardDto {
  @ApiProperty({ example: '04A1B2C3D4E5F7' })
  @Transform(toUid) @Matches(NORMALIZED_UID, { message: UID_MESSAGE })
  uid: string;

  @ApiProperty({ enum: ['lost', 'stolen', 'damaged'] })
  @IsIn(['lost', 'stolen', 'damaged'])
  reason: 'lost' | 'stolen' | 'damaged';
}

export class CardsByUidQuery {
  @ApiProperty({ example: '04A1B2C3D4E5F6' })
  @Transform(toUid) @Matches(NORMALIZED_UID, { message: UID_MESSAGE })
  uid: string;
}
