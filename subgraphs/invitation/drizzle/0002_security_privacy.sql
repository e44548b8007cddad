CREATE TABLE "invitation"."audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"request_id" text NOT NULL,
	"subject" text NOT NULL,
	"roles" text[] NOT NULL,
	"action" text NOT NULL,
	"outcome" text NOT NULL,
	"fields" text[] DEFAULT '{}'::text[] NOT NULL,
	"customer_ids" text[] DEFAULT '{}'::text[] NOT NULL,
	"target_type" text,
	"target_id" text,
	"client_address" text
);
--> statement-breakpoint
CREATE TABLE "invitation"."data_export_sections" (
	"export_id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"section" jsonb NOT NULL,
	"record_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"failure" text
);
--> statement-breakpoint
CREATE INDEX "audit_log_customer_ids_idx" ON "invitation"."audit_log" USING gin ("customer_ids");--> statement-breakpoint
CREATE INDEX "audit_log_occurred_at_idx" ON "invitation"."audit_log" USING btree ("occurred_at","id");--> statement-breakpoint
CREATE INDEX "data_export_sections_expiry_idx" ON "invitation"."data_export_sections" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "data_export_sections_customer_idx" ON "invitation"."data_export_sections" USING btree ("customer_id");