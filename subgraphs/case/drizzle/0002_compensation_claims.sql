CREATE TABLE "case"."compensation_claims" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"input" jsonb NOT NULL,
	"decision" jsonb NOT NULL,
	"amount_minor" integer NOT NULL,
	"currency" text NOT NULL,
	"status" text NOT NULL,
	"filed_by" text NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"decision_note" text,
	"payment_reference" text,
	"paid_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "compensation_claims_amount_check" CHECK ("case"."compensation_claims"."amount_minor" >= 0)
);
--> statement-breakpoint
ALTER TABLE "case"."compensation_claims" ADD CONSTRAINT "compensation_claims_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "case"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "compensation_claims_case_key" ON "case"."compensation_claims" USING btree ("case_id");--> statement-breakpoint
CREATE INDEX "compensation_claims_status_idx" ON "case"."compensation_claims" USING btree ("status","created_at");