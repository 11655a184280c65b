import { Global, Module } from '@nestjs/common';
import { AdminGuard } from './admin.guard.js';
import { AdminStanding } from './admin-standing.js';
import { AppUserGuard } from './app-user.guard.js';
import { TokenVerifier } from './token-verifier.js';

@Global()
@Module({ providers: [TokenVerifier, AdminStanding, AdminGuard, AppUserGuard], exports: [TokenVerifier, AdminStanding, AdminGuard, AppUserGuard] })
export class AuthModule {}
