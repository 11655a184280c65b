-- ID tokens issued before this moment (a disable and its global sign-out) get no credentials.
ALTER TABLE "users" ADD COLUMN "tokens_valid_after" TIMESTAMPTZ(3);
