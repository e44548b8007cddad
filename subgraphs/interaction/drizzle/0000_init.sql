CREATE SCHEMA "interaction";
--> statement-breakpoint
CREATE TABLE "interaction"."interactions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"direction" text NOT NULL,
	"subject" text,
	"summary" text NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."outbox" (
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
CREATE TABLE "interaction"."timeline_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"type" text NOT NULL,
	"summary" text NOT NULL,
	"source_type" text NOT NULL,
	"source_id" text NOT NULL,
	"event_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "interactions_customer_idx" ON "interaction"."interactions" USING btree ("customer_id","occurred_at");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "interaction"."outbox" USING btree ("id") WHERE "interaction"."outbox"."published_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "timeline_entries_event_id_key" ON "interaction"."timeline_entries" USING btree ("event_id");--> statement-breakpoint
CREATE INDEX "timeline_entries_customer_idx" ON "interaction"."timeline_entries" USING btree ("customer_id","occurred_at" DESC NULLS LAST,"id" DESC NULLS LAST);