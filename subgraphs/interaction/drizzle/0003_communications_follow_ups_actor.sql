DROP INDEX "interaction"."follow_up_tasks_assignee_idx";--> statement-breakpoint
DROP INDEX "interaction"."interactions_customer_idx";--> statement-breakpoint
ALTER TABLE "interaction"."follow_up_tasks" ADD COLUMN "notes" text;--> statement-breakpoint
ALTER TABLE "interaction"."follow_up_tasks" ADD COLUMN "created_by" text DEFAULT 'system' NOT NULL;--> statement-breakpoint
ALTER TABLE "interaction"."follow_up_tasks" ADD COLUMN "completed_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "interaction"."follow_up_tasks" ADD COLUMN "completed_by" text;--> statement-breakpoint
ALTER TABLE "interaction"."follow_up_tasks" ADD COLUMN "completion_note" text;--> statement-breakpoint
ALTER TABLE "interaction"."follow_up_tasks" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "interaction"."interactions" ADD COLUMN "duration_seconds" integer;--> statement-breakpoint
ALTER TABLE "interaction"."interactions" ADD COLUMN "notes" text;--> statement-breakpoint
ALTER TABLE "interaction"."interactions" ADD COLUMN "transcript" text;--> statement-breakpoint
ALTER TABLE "interaction"."timeline_entries" ADD COLUMN "actor" text DEFAULT 'system' NOT NULL;--> statement-breakpoint
CREATE INDEX "follow_up_tasks_queue_idx" ON "interaction"."follow_up_tasks" USING btree ("status","due_at","id") WHERE "interaction"."follow_up_tasks"."assignee" is null;--> statement-breakpoint
CREATE INDEX "follow_up_tasks_assignee_idx" ON "interaction"."follow_up_tasks" USING btree ("assignee","status","due_at","id");--> statement-breakpoint
CREATE INDEX "interactions_customer_idx" ON "interaction"."interactions" USING btree ("customer_id","occurred_at" DESC NULLS LAST,"id" DESC NULLS LAST);