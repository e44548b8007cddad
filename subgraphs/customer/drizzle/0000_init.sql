CREATE SCHEMA "customer";
--> statement-breakpoint
CREATE SEQUENCE "customer"."customer_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "customer"."customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_number" text NOT NULL,
	"type" text NOT NULL,
	"status" text DEFAULT 'ACTIVE' NOT NULL,
	"segment" text DEFAULT 'STANDARD' NOT NULL,
	"company_name" text,
	"title" text,
	"first_name" text,
	"middle_name" text,
	"last_name" text,
	"primary_email" text NOT NULL,
	"primary_phone" text,
	"billing_street" text,
	"billing_city" text,
	"billing_state" text,
	"billing_zip_code" text,
	"billing_country" text,
	"preferred_language" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"deactivated_at" timestamp with time zone,
	"deactivated_by" text,
	"deactivation_reason" text
);
--> statement-breakpoint
CREATE TABLE "customer"."outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"event_id" uuid NOT NULL,
	"type" text NOT NULL,
	"source" text NOT NULL,
	"aggregate_type" text NOT NULL,
	"aggregate_id" text NOT NULL,
	"customer_id" uuid,
	"data" jsonb NOT NULL,
	"traceparent" text,
	"occurred_at" timestamp with time zone DEFAULT now() NOT NULL,
	"published_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	CONSTRAINT "outbox_event_id_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE UNIQUE INDEX "customers_customer_number_key" ON "customer"."customers" USING btree ("customer_number");--> statement-breakpoint
CREATE UNIQUE INDEX "customers_primary_email_key" ON "customer"."customers" USING btree (lower("primary_email")) WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_created_at_idx" ON "customer"."customers" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "customer"."outbox" USING btree ("id") WHERE "customer"."outbox"."published_at" is null;