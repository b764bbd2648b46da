import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIdNumber, toIdNumber } from './resident-fields';

export class LookupResidentDto {
  @ApiProperty({ example: '11010519491231002X' })
  @Transform(toIdNumber) @IsIdNumber()
  idNumber: string;
}
