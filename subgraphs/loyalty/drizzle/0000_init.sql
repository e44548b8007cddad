CREATE SCHEMA "loyalty";
--> statement-breakpoint
CREATE SEQUENCE "loyalty"."member_number_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1;--> statement-breakpoint
CREATE TABLE "loyalty"."accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"member_number" text NOT NULL,
	"programme" text DEFAULT 'CLUB_IBERIA_PLUS' NOT NULL,
	"tier" text NOT NULL,
	"avios_balance" integer DEFAULT 0 NOT NULL,
	"elite_points" integer DEFAULT 0 NOT NULL,
	"qualifying_flights" integer DEFAULT 0 NOT NULL,
	"lifetime_elite_points" integer DEFAULT 0 NOT NULL,
	"member_since" timestamp with time zone DEFAULT now() NOT NULL,
	"tier_expires_at" timestamp with time zone,
	"synced_at" timestamp with time zone,
	"enrolled_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "accounts_avios_balance_check" CHECK ("loyalty"."accounts"."avios_balance" >= 0),
	CONSTRAINT "accounts_elite_points_check" CHECK ("loyalty"."accounts"."elite_points" >= 0)
);
--> statement-breakpoint
CREATE TABLE "loyalty"."ledger_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"source" text NOT NULL,
	"avios" integer NOT NULL,
	"elite_points" integer DEFAULT 0 NOT NULL,
	"flights" integer DEFAULT 0 NOT NULL,
	"external_id" text NOT NULL,
	"description" text NOT NULL,
	"avios_balance_after" integer NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	"recorded_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "loyalty"."outbox" (
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
CREATE TABLE "loyalty"."tier_history" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"account_id" uuid NOT NULL,
	"from_tier" text,
	"to_tier" text NOT NULL,
	"reason" text NOT NULL,
	"changed_by" text NOT NULL,
	"changed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "loyalty"."ledger_entries" ADD CONSTRAINT "ledger_entries_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "loyalty"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loyalty"."tier_history" ADD CONSTRAINT "tier_history_account_id_accounts_id_fk" FOREIGN KEY ("account_id") REFERENCES "loyalty"."accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_customer_id_key" ON "loyalty"."accounts" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "accounts_member_number_key" ON "loyalty"."accounts" USING btree ("member_number");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_entries_external_key" ON "loyalty"."ledger_entries" USING btree ("account_id","external_id");--> statement-breakpoint
CREATE INDEX "ledger_entries_account_idx" ON "loyalty"."ledger_entries" USING btree ("account_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "loyalty"."outbox" USING btree ("id") WHERE "loyalty"."outbox"."published_at" is null;--> statement-breakpoint
CREATE INDEX "tier_history_account_idx" ON "loyalty"."tier_history" USING btree ("account_id","changed_at");