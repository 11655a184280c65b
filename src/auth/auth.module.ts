import { Global, Module } from '@nestjs/common';
import { AdminGuard } from './admin.guard.js';
import { AppUserGuard } from './app-user.guard.js';
import { TokenVerifier } from './token-verifier.js';

@Global()
@Module({ providers: [TokenVerifier, AdminGuard, AppUserGuard], exports: [TokenVerifier, AdminGuard, AppUserGuard] })
export class AuthModule {}
