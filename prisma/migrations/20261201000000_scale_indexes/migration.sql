-- CreateIndex
CREATE INDEX "users_policy_name_idx" ON "users"("policy_name");

-- CreateIndex
CREATE INDEX "devices_policy_name_idx" ON "devices"("policy_name");

-- CreateIndex
CREATE INDEX "certificates_device_id_created_at_certificate_id_idx" ON "certificates"("device_id", "created_at", "certificate_id");

-- DropIndex
DROP INDEX "certificates_device_id_idx";

-- CreateIndex
CREATE INDEX "operations_created_at_id_idx" ON "operations"("created_at", "id");

-- CreateIndex
CREATE INDEX "operations_status_created_at_id_idx" ON "operations"("status", "created_at", "id");

-- CreateIndex
CREATE INDEX "operations_status_updated_at_idx" ON "operations"("status", "updated_at");
