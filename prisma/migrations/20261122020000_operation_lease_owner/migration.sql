-- AlterTable
ALTER TABLE "operations" ADD COLUMN     "lease_owner" UUID;
