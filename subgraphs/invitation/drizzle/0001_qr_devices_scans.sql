CREATE TABLE "invitation"."known_tiers" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"tier" text,
	"as_of" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invitation"."lounge_devices" (
	"id" text PRIMARY KEY NOT NULL,
	"lounge_code" text NOT NULL,
	"name" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"registered_by" text NOT NULL,
	"registered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"disabled_at" timestamp with time zone,
	"disabled_by" text,
	"disabled_reason" text
);
--> statement-breakpoint
CREATE TABLE "invitation"."scans" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"invitation_id" uuid NOT NULL,
	"lounge_code" text NOT NULL,
	"device_id" text NOT NULL,
	"outcome" text NOT NULL,
	"admitted" integer DEFAULT 0 NOT NULL,
	"entries_remaining" integer,
	"idempotency_key" text,
	"scanned_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "cabin" text DEFAULT 'ECONOMY' NOT NULL;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "eligibility_source" text DEFAULT 'LOYALTY' NOT NULL;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "eligibility_reason" text DEFAULT 'TIER' NOT NULL;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "eligibility_tier" text;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "eligibility_as_of" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "qr_key_id" text;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "sent_count" integer DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE "invitation"."invitations" ADD COLUMN "last_sent_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "invitation"."lounges" ADD COLUMN "time_zone" text DEFAULT 'Europe/Madrid' NOT NULL;--> statement-breakpoint
ALTER TABLE "invitation"."lounge_devices" ADD CONSTRAINT "lounge_devices_lounge_code_lounges_code_fk" FOREIGN KEY ("lounge_code") REFERENCES "invitation"."lounges"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "scans_idempotency_key" ON "invitation"."scans" USING btree ("device_id","idempotency_key");--> statement-breakpoint
CREATE INDEX "scans_lounge_idx" ON "invitation"."scans" USING btree ("lounge_code","scanned_at");--> statement-breakpoint
CREATE INDEX "scans_invitation_idx" ON "invitation"."scans" USING btree ("invitation_id","scanned_at");--> statement-breakpoint
CREATE INDEX "invitations_expiry_idx" ON "invitation"."invitations" USING btree ("valid_until") WHERE "invitation"."invitations"."status" = 'ISSUED';