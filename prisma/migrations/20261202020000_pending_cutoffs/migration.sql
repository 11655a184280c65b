-- CreateTable
CREATE TABLE "pending_cutoffs" (
    "id" UUID NOT NULL,
    "client_id" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "clean_session" BOOLEAN NOT NULL,
    "certificate_id" TEXT,
    "identity_id" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "last_error" TEXT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL,
    "give_up_at" TIMESTAMPTZ(3) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "pending_cutoffs_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "pending_cutoffs_next_attempt_at_idx" ON "pending_cutoffs"("next_attempt_at");

-- CreateIndex
CREATE UNIQUE INDEX "pending_cutoffs_client_id_reason_key" ON "pending_cutoffs"("client_id", "reason");
