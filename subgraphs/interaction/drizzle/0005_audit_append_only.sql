-- The audit trail is append-only: UPDATE, DELETE and TRUNCATE are refused (hand-written; drizzle-kit does not generate triggers).
CREATE OR REPLACE FUNCTION "interaction".audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_append_only ON "interaction"."audit_log";
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON "interaction"."audit_log"
  FOR EACH ROW EXECUTE FUNCTION "interaction".audit_log_append_only();
--> statement-breakpoint
DROP TRIGGER IF EXISTS audit_log_no_truncate ON "interaction"."audit_log";
--> statement-breakpoint
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON "interaction"."audit_log"
  FOR EACH STATEMENT EXECUTE FUNCTION "interaction".audit_log_append_only();
