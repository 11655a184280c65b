-- AlterTable
ALTER TABLE "certificates" ADD COLUMN     "public_key_sha256" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "certificates_public_key_sha256_key" ON "certificates"("public_key_sha256");
