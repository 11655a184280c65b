import { Controller, Get, Header, NotFoundException, Param } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { LocalSandbox } from './local-sandbox.js';
import type { Jwks } from './token-issuer.js';

/** The local user pool's JWKS, where Cognito serves a pool's: `<issuer>/.well-known/jwks.json`. */
@ApiTags('local')
@Controller('local/cognito')
export class LocalCognitoController {
  constructor(private readonly sandbox: LocalSandbox) {}

  @Get(':userPoolId/.well-known/jwks.json')
  @Header('cache-control', 'public, max-age=300')
  @ApiOperation({ summary: "Local mode: the public keys that sign the local user pool's tokens" })
  jwks(@Param('userPoolId') userPoolId: string): Jwks {
    if (userPoolId !== this.sandbox.userPool.userPoolId) throw new NotFoundException();
    return this.sandbox.tokens.jwks();
  }
}
