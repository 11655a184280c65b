-- CreateTable
CREATE TABLE "sign_in_known_pairs" (
    "pair_hash" TEXT NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "sign_in_known_pairs_pkey" PRIMARY KEY ("pair_hash")
);

-- CreateIndex
CREATE INDEX "sign_in_known_pairs_expires_at_idx" ON "sign_in_known_pairs"("expires_at");
