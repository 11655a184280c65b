-- AlterTable
ALTER TABLE "certificates" ADD COLUMN     "drift_detected_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "devices" ADD COLUMN     "drift_detected_at" TIMESTAMPTZ(3);

-- AlterTable
ALTER TABLE "users" ADD COLUMN     "drift_detected_at" TIMESTAMPTZ(3);
