CREATE TABLE "customer"."audit_log" (
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
CREATE TABLE "customer"."data_export_sections" (
	"export_id" uuid PRIMARY KEY NOT NULL,
	"customer_id" uuid NOT NULL,
	"section" jsonb NOT NULL,
	"record_count" integer NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"failure" text
);
--> statement-breakpoint
CREATE TABLE "customer"."data_subject_exports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"customer_ids" uuid[] NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"ready_sections" text[] DEFAULT '{}'::text[] NOT NULL,
	"failures" text[] DEFAULT '{}'::text[] NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."erasure_sections" (
	"erasure_id" uuid NOT NULL,
	"subgraph" text NOT NULL,
	"tables" jsonb NOT NULL,
	"retained" jsonb NOT NULL,
	"completed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "erasure_sections_erasure_id_subgraph_pk" PRIMARY KEY("erasure_id","subgraph")
);
--> statement-breakpoint
CREATE TABLE "customer"."erasures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"customer_ids" uuid[] NOT NULL,
	"reason" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"status" text DEFAULT 'IN_PROGRESS' NOT NULL,
	"completed_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "billing_address_enc" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "shipping_address_enc" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "date_of_birth_enc" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "passport_number_enc" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "passport_number_hash" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "erased_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "customer"."erasure_sections" ADD CONSTRAINT "erasure_sections_erasure_id_erasures_id_fk" FOREIGN KEY ("erasure_id") REFERENCES "customer"."erasures"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "audit_log_customer_ids_idx" ON "customer"."audit_log" USING gin ("customer_ids");--> statement-breakpoint
CREATE INDEX "audit_log_occurred_at_idx" ON "customer"."audit_log" USING btree ("occurred_at","id");--> statement-breakpoint
CREATE INDEX "data_export_sections_expiry_idx" ON "customer"."data_export_sections" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "data_export_sections_customer_idx" ON "customer"."data_export_sections" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "data_subject_exports_customer_idx" ON "customer"."data_subject_exports" USING btree ("customer_id","requested_at");--> statement-breakpoint
CREATE INDEX "data_subject_exports_expiry_idx" ON "customer"."data_subject_exports" USING btree ("expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "erasures_customer_key" ON "customer"."erasures" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "customers_passport_number_hash_idx" ON "customer"."customers" USING btree ("passport_number_hash") WHERE "customer"."customers"."passport_number_hash" is not null;