import { it } from 'vitest';
import { PrismaService } from '../../src/persistence/prisma.service.js';
import { toDomainError } from '../../src/common/errors/error-body.js';
import { createTestDatabase } from '../support/database.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { startTestApp } from '../support/test-app.js';
const show = (label: string, e: any) => console.log(label, e.constructor.name, JSON.stringify({ code: e.code, message: String(e.message).slice(0, 200), cause: e.cause && { code: e.cause.code, kind: e.cause.kind, message: e.cause.message } }), '=>', toDomainError(e).code);
it('probe', async () => {
  const database = await createTestDatabase();
  const proxy = TcpProxy.to(database.url);
  await proxy.start();
  const t = await startTestApp({ databaseUrl: proxy.through(database.url) });
  const prisma = t.app.get(PrismaService);
  await prisma.user.findMany();
  await proxy.stop();
  try { await prisma.$transaction(async (tx) => { await tx.user.findMany(); }); } catch (e: any) { show('TX-START-DOWN', e); }
  await proxy.start();
  await prisma.user.findMany().catch(() => undefined);
  try { await prisma.$transaction(async (tx) => { await tx.user.findMany(); await proxy.stop(); await tx.user.findMany(); }); } catch (e: any) { show('TX-MID-DOWN', e); }
  await proxy.start();
  await prisma.user.findMany().catch(() => undefined);
  try { await prisma.$transaction(async (tx) => { await tx.user.findMany(); proxy.blackhole(); await tx.user.findMany(); }); } catch (e: any) { show('TX-MID-BLACKHOLE', e); }
  await proxy.stop(); await proxy.start();
  await t.close(); await database.drop();
});
