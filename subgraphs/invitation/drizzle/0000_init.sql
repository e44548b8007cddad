CREATE SCHEMA "invitation";
--> statement-breakpoint
CREATE TABLE "invitation"."invitations" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"lounge_code" text NOT NULL,
	"status" text DEFAULT 'ISSUED' NOT NULL,
	"valid_from" timestamp with time zone NOT NULL,
	"valid_until" timestamp with time zone NOT NULL,
	"guests" integer NOT NULL,
	"entries_used" integer DEFAULT 0 NOT NULL,
	"flight_number" text NOT NULL,
	"issued_by" text NOT NULL,
	"revoked_at" timestamp with time zone,
	"revoked_by" text,
	"revocation_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invitations_window_check" CHECK ("invitation"."invitations"."valid_until" > "invitation"."invitations"."valid_from"),
	CONSTRAINT "invitations_guests_check" CHECK ("invitation"."invitations"."guests" >= 0),
	CONSTRAINT "invitations_entries_check" CHECK ("invitation"."invitations"."entries_used" between 0 and "invitation"."invitations"."guests" + 1)
);
--> statement-breakpoint
CREATE TABLE "invitation"."lounges" (
	"code" text PRIMARY KEY NOT NULL,
	"airport" text NOT NULL,
	"terminal" text NOT NULL,
	"name" text NOT NULL,
	"capacity" integer NOT NULL,
	"opening_hours" text NOT NULL,
	"active" boolean DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invitation"."outbox" (
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
ALTER TABLE "invitation"."invitations" ADD CONSTRAINT "invitations_lounge_code_lounges_code_fk" FOREIGN KEY ("lounge_code") REFERENCES "invitation"."lounges"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "invitations_customer_idx" ON "invitation"."invitations" USING btree ("customer_id","created_at");--> statement-breakpoint
CREATE INDEX "invitations_lounge_idx" ON "invitation"."invitations" USING btree ("lounge_code","valid_from");--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "invitation"."outbox" USING btree ("id") WHERE "invitation"."outbox"."published_at" is null;