CREATE TABLE "case"."case_comments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"case_id" uuid NOT NULL,
	"author" text NOT NULL,
	"body" text NOT NULL,
	"internal" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "resolution" text;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "customer_satisfied" boolean;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "compensation_offered_minor" integer;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "compensation_currency" text;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "resolved_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "resolution_minutes" integer;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "auto_escalated_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "case"."case_comments" ADD CONSTRAINT "case_comments_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "case"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "case_comments_case_idx" ON "case"."case_comments" USING btree ("case_id","created_at");--> statement-breakpoint
CREATE INDEX "cases_escalation_due_idx" ON "case"."cases" USING btree ("created_at") WHERE "case"."cases"."status" in ('NEW', 'IN_PROGRESS') and "case"."cases"."auto_escalated_at" is null;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD CONSTRAINT "cases_compensation_check" CHECK (("case"."cases"."compensation_offered_minor" is null) = ("case"."cases"."compensation_currency" is null) and coalesce("case"."cases"."compensation_offered_minor", 0) >= 0);