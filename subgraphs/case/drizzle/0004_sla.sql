CREATE TABLE "case"."sla_milestones" (
	"case_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"warn_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'PENDING' NOT NULL,
	"met_at" timestamp with time zone,
	"warned_at" timestamp with time zone,
	CONSTRAINT "sla_milestones_case_id_kind_pk" PRIMARY KEY("case_id","kind")
);
--> statement-breakpoint
CREATE TABLE "case"."sla_policies" (
	"priority" text PRIMARY KEY NOT NULL,
	"first_response_minutes" integer NOT NULL,
	"resolution_minutes" integer NOT NULL,
	"warn_percent" integer DEFAULT 80 NOT NULL,
	"calendar" text
);
--> statement-breakpoint
ALTER TABLE "case"."sla_milestones" ADD CONSTRAINT "sla_milestones_case_id_cases_id_fk" FOREIGN KEY ("case_id") REFERENCES "case"."cases"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "sla_milestones_pending_idx" ON "case"."sla_milestones" USING btree ("warn_at") WHERE "case"."sla_milestones"."status" = 'PENDING';