import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsOptional, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { PLAIN_TEXT } from '../../residents/dto/address.dto';
import { ROLES, type Role } from '../roles';

export class CreateApiKeyDto {
  @ApiProperty({ enum: ROLES })
  @IsIn(ROLES)
  role: Role;

  @ApiProperty({ example: 'Desk 3, Lujiazui service centre' })
  @IsString() @MinLength(1) @MaxLength(200) @Matches(PLAIN_TEXT, { message: 'name must not be blank or contain control characters' })
  name: string;

  @ApiPropertyOptional({ description: 'required for role merchant' })
  @ValidateIf((o: CreateApiKeyDto) => o.role === 'merchant' || o.merchantId !== undefined)
  @IsUUID()
  merchantId?: string;

  @ApiPropertyOptional({ type: [String], description: 'required (non-empty) for role door' })
  @ValidateIf((o: CreateApiKeyDto) => o.role === 'door' || o.doorIds !== undefined)
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(1000) @IsUUID(undefined, { each: true })
  doorIds?: string[];
}

export class ApiKeyCreatedDto {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ROLES }) role: Role;
  @ApiProperty() name: string;
  @ApiProperty({ description: 'the key itself; shown only in this response' }) key: string;
  @ApiPropertyOptional() merchantId?: string;
  @ApiPropertyOptional({ type: [String] }) doorIds?: string[];
}
