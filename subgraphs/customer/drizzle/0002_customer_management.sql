CREATE TABLE "customer"."activity" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"complaints" integer DEFAULT 0 NOT NULL,
	"events_attended" integer DEFAULT 0 NOT NULL,
	"testimonials" integer DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."applied_events" (
	"consumer" text NOT NULL,
	"event_id" text NOT NULL,
	"applied_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "applied_events_consumer_event_id_pk" PRIMARY KEY("consumer","event_id")
);
--> statement-breakpoint
CREATE TABLE "customer"."consents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"purpose" text NOT NULL,
	"granted" boolean NOT NULL,
	"source" text NOT NULL,
	"note" text,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."contact_exports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"format" text NOT NULL,
	"customer_ids" uuid[] DEFAULT '{}'::uuid[] NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"fields" text[] NOT NULL,
	"status" text NOT NULL,
	"total_rows" integer,
	"processed_rows" integer DEFAULT 0 NOT NULL,
	"file" "bytea",
	"file_bytes" integer,
	"download_token_hash" text,
	"expires_at" timestamp with time zone,
	"failure" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"lease_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "customer"."contact_imports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"format" text NOT NULL,
	"mapping" jsonb NOT NULL,
	"status" text NOT NULL,
	"upload_token_hash" text,
	"upload_expires_at" timestamp with time zone,
	"file" "bytea",
	"file_bytes" integer,
	"total_rows" integer,
	"processed_rows" integer DEFAULT 0 NOT NULL,
	"imported_rows" integer DEFAULT 0 NOT NULL,
	"failed_rows" integer DEFAULT 0 NOT NULL,
	"errors" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"failure" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"lease_until" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "customer"."contacts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"first_name" text NOT NULL,
	"last_name" text NOT NULL,
	"email" text NOT NULL,
	"phone" text,
	"job_title" text,
	"is_primary" boolean DEFAULT false NOT NULL,
	"tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	"removed_by" text
);
--> statement-breakpoint
CREATE TABLE "customer"."customer_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"attribute" text NOT NULL,
	"from_value" text,
	"to_value" text,
	"source" text NOT NULL,
	"reason" text,
	"actor" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."devices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"device_id" text NOT NULL,
	"platform" text NOT NULL,
	"app_version" text,
	"push_enabled" boolean DEFAULT false NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."preferences" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"channels" text[] DEFAULT '{}'::text[] NOT NULL,
	"notifications" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"seat" text,
	"meal" text,
	"drink" text,
	"interests" text[] DEFAULT '{}'::text[] NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."purchase_refunds" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"purchase_id" uuid NOT NULL,
	"refund_reference" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"reason" text NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."purchases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"order_reference" text NOT NULL,
	"channel" text NOT NULL,
	"items" jsonb NOT NULL,
	"amount_minor" bigint NOT NULL,
	"currency" text NOT NULL,
	"reporting_amount_minor" bigint NOT NULL,
	"refunded_minor" bigint DEFAULT 0 NOT NULL,
	"reporting_refunded_minor" bigint DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'PAID' NOT NULL,
	"flight_number" text,
	"purchased_at" timestamp with time zone NOT NULL,
	"recorded_by" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer"."trips" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"pnr" text NOT NULL,
	"ticket_number" text NOT NULL,
	"flight_number" text NOT NULL,
	"origin" text NOT NULL,
	"destination" text NOT NULL,
	"scheduled_departure" timestamp with time zone NOT NULL,
	"scheduled_arrival" timestamp with time zone NOT NULL,
	"actual_departure" timestamp with time zone,
	"actual_arrival" timestamp with time zone,
	"cabin" text NOT NULL,
	"status" text NOT NULL,
	"bag_tags" text[] DEFAULT '{}'::text[] NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "segment_overridden" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "rating" text DEFAULT 'UNRATED' NOT NULL;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "rating_overridden" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "lifetime_value_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "industry" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "website" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "shipping_street" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "shipping_city" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "shipping_state" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "shipping_zip_code" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "shipping_country" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "date_of_birth" date;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "gender" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "nationality" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "passport_number" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "passport_expiry" date;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "passport_country" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "loyalty_number" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "time_zone" text;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "merged_into_id" uuid;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "search_text" text GENERATED ALWAYS AS (lower(coalesce(first_name, '') || ' ' || coalesce(middle_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company_name, '') || ' ' || primary_email || ' ' || customer_number)) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "sort_name" text GENERATED ALWAYS AS (lower(coalesce(company_name, coalesce(last_name, '') || ' ' || coalesce(first_name, '')))) STORED NOT NULL;--> statement-breakpoint
CREATE INDEX "consents_customer_idx" ON "customer"."consents" USING btree ("customer_id","purpose","recorded_at");--> statement-breakpoint
CREATE INDEX "contact_exports_status_idx" ON "customer"."contact_exports" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "contact_imports_status_idx" ON "customer"."contact_imports" USING btree ("status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_customer_email_key" ON "customer"."contacts" USING btree ("customer_id",lower("email")) WHERE "customer"."contacts"."removed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "contacts_single_primary_key" ON "customer"."contacts" USING btree ("customer_id") WHERE "customer"."contacts"."is_primary" and "customer"."contacts"."removed_at" is null;--> statement-breakpoint
CREATE INDEX "contacts_customer_idx" ON "customer"."contacts" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "contacts_tags_idx" ON "customer"."contacts" USING gin ("tags");--> statement-breakpoint
CREATE INDEX "customer_history_customer_idx" ON "customer"."customer_history" USING btree ("customer_id","attribute","at");--> statement-breakpoint
CREATE UNIQUE INDEX "devices_customer_device_key" ON "customer"."devices" USING btree ("customer_id","device_id");--> statement-breakpoint
CREATE UNIQUE INDEX "purchase_refunds_reference_key" ON "customer"."purchase_refunds" USING btree ("purchase_id","refund_reference");--> statement-breakpoint
CREATE UNIQUE INDEX "purchases_order_reference_key" ON "customer"."purchases" USING btree ("order_reference");--> statement-breakpoint
CREATE INDEX "purchases_customer_idx" ON "customer"."purchases" USING btree ("customer_id","purchased_at");--> statement-breakpoint
CREATE UNIQUE INDEX "trips_ticket_flight_key" ON "customer"."trips" USING btree ("ticket_number","flight_number","scheduled_departure");--> statement-breakpoint
CREATE INDEX "trips_customer_idx" ON "customer"."trips" USING btree ("customer_id","scheduled_departure");--> statement-breakpoint
CREATE INDEX "customers_search_trgm_idx" ON "customer"."customers" USING gin ("search_text" gin_trgm_ops) WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_sort_name_idx" ON "customer"."customers" USING btree ("sort_name","id","type","segment","status","search_text") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_number_order_idx" ON "customer"."customers" USING btree (length("customer_number"),"customer_number","id","type","segment","status") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_search_filters_idx" ON "customer"."customers" USING btree ("status","segment","type","sort_name","id") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_segment_idx" ON "customer"."customers" USING btree ("segment") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_type_idx" ON "customer"."customers" USING btree ("type") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_status_idx" ON "customer"."customers" USING btree ("status") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_lifetime_value_idx" ON "customer"."customers" USING btree ("lifetime_value_minor") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_merged_into_idx" ON "customer"."customers" USING btree ("merged_into_id") WHERE "customer"."customers"."merged_into_id" is not null;