import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { Matches } from 'class-validator';
import { toUid, UID_MESSAGE } from '../../cards/dto/card-requests.dto';
import { NORMALIZED_UID } from '../../cards/uid';

export class TapDto {
  @ApiProperty({ example: '04:A1:B2:C3:D4:E5:F6' })
  @Transform(toUid) @Matches(NORMALIZED_UID, { message: UID_MESSAGE })
  uid: string;
}
