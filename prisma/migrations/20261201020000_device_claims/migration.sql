-- CreateTable
CREATE TABLE "device_claims" (
    "id" UUID NOT NULL,
    "token_hash" TEXT NOT NULL,
    "user_id" UUID NOT NULL,
    "name" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "redeemed_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_claims_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "device_claim_failures" (
    "id" BIGSERIAL NOT NULL,
    "address" TEXT NOT NULL,
    "occurred_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_claim_failures_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "device_claims_token_hash_key" ON "device_claims"("token_hash");

-- CreateIndex
CREATE INDEX "device_claims_user_id_idx" ON "device_claims"("user_id");

-- CreateIndex
CREATE INDEX "device_claims_expires_at_idx" ON "device_claims"("expires_at");

-- CreateIndex
CREATE INDEX "device_claim_failures_address_occurred_at_idx" ON "device_claim_failures"("address", "occurred_at");

-- CreateIndex
CREATE INDEX "certificates_not_after_certificate_id_idx" ON "certificates"("not_after", "certificate_id");

-- AddForeignKey
ALTER TABLE "device_claims" ADD CONSTRAINT "device_claims_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
