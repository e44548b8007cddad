CREATE TABLE "interaction"."webhook_deliveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"endpoint" text NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"status" text NOT NULL,
	"attempts" integer NOT NULL,
	"last_error" text,
	"payload" jsonb NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_event_key" ON "interaction"."webhook_deliveries" USING btree ("endpoint","event_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_failed_idx" ON "interaction"."webhook_deliveries" USING btree ("status","at");