CREATE TABLE "interaction"."follow_up_tasks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"title" text NOT NULL,
	"due_at" timestamp with time zone NOT NULL,
	"priority" text NOT NULL,
	"assignee" text,
	"status" text DEFAULT 'OPEN' NOT NULL,
	"source_type" text,
	"source_id" text,
	"source_event_id" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "follow_up_tasks_source_event_key" ON "interaction"."follow_up_tasks" USING btree ("source_event_id");--> statement-breakpoint
CREATE INDEX "follow_up_tasks_customer_idx" ON "interaction"."follow_up_tasks" USING btree ("customer_id","due_at");--> statement-breakpoint
CREATE INDEX "follow_up_tasks_assignee_idx" ON "interaction"."follow_up_tasks" USING btree ("assignee","status","due_at");