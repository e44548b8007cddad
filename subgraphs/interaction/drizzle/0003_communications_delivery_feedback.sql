CREATE TABLE "interaction"."captured_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"message_id" uuid NOT NULL,
	"channel" text NOT NULL,
	"recipient" text NOT NULL,
	"subject" text,
	"text_body" text,
	"raw" text NOT NULL,
	"captured_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."email_templates" (
	"code" text PRIMARY KEY NOT NULL,
	"subject" text NOT NULL,
	"text_body" text,
	"html_body" text,
	"required_variables" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"defined_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."meetings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"interaction_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"starts_at" timestamp with time zone NOT NULL,
	"ends_at" timestamp with time zone NOT NULL,
	"in_person" boolean NOT NULL,
	"location" text,
	"virtual_link" text,
	"attendees" jsonb NOT NULL,
	"uid" text NOT NULL,
	"sequence" integer DEFAULT 0 NOT NULL,
	"organizer" text NOT NULL,
	"status" text DEFAULT 'SCHEDULED' NOT NULL,
	"scheduled_by" text NOT NULL,
	"cancelled_at" timestamp with time zone,
	"cancel_reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."message_attachments" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"message_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"file_name" text NOT NULL,
	"content_type" text NOT NULL,
	"size_bytes" integer NOT NULL,
	"content" "bytea" NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."outbound_messages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"channel" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"interaction_id" uuid NOT NULL,
	"recipient" text NOT NULL,
	"recipient_name" text,
	"subject" text,
	"text_body" text,
	"html_body" text,
	"segments" integer,
	"encoding" text,
	"template_code" text,
	"template_variables" jsonb,
	"calendar_method" text,
	"calendar" text,
	"meeting_id" uuid,
	"status" text DEFAULT 'QUEUED' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_until" timestamp with time zone,
	"last_error" text,
	"provider_message_id" text,
	"sent_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"delivered_at" timestamp with time zone,
	"bounced_at" timestamp with time zone,
	"failed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."sms_opt_outs" (
	"phone_number" text PRIMARY KEY NOT NULL,
	"opted_out_at" timestamp with time zone DEFAULT now() NOT NULL,
	"source" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."customer_insights" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"engagement_level" text NOT NULL,
	"churn_risk" text NOT NULL,
	"churn_score" double precision NOT NULL,
	"recommended_actions" jsonb NOT NULL,
	"reasons" jsonb NOT NULL,
	"facts" jsonb NOT NULL,
	"refreshed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "interaction"."feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"customer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"content" text NOT NULL,
	"public_content" text NOT NULL,
	"profanity_filtered" boolean NOT NULL,
	"rating" smallint,
	"author_name" text NOT NULL,
	"consent_to_publish" boolean DEFAULT false NOT NULL,
	"consent_withdrawn_at" timestamp with time zone,
	"status" text NOT NULL,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"rejection_reason" text,
	"submitted_by" text NOT NULL,
	"submitted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "feedback_rating_range" CHECK ("interaction"."feedback"."rating" is null or "interaction"."feedback"."rating" between 1 and 5)
);
--> statement-breakpoint
CREATE TABLE "interaction"."text_analyses" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"label" text NOT NULL,
	"score" double precision NOT NULL,
	"key_phrases" jsonb NOT NULL,
	"language" text NOT NULL,
	"provider" text NOT NULL,
	"analysed_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
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
ALTER TABLE "interaction"."message_attachments" ADD CONSTRAINT "message_attachments_message_id_outbound_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "interaction"."outbound_messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "captured_messages_time_idx" ON "interaction"."captured_messages" USING btree ("captured_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_uid_key" ON "interaction"."meetings" USING btree ("uid");--> statement-breakpoint
CREATE INDEX "meetings_customer_idx" ON "interaction"."meetings" USING btree ("customer_id","starts_at");--> statement-breakpoint
CREATE UNIQUE INDEX "message_attachments_position_key" ON "interaction"."message_attachments" USING btree ("message_id","position");--> statement-breakpoint
CREATE INDEX "outbound_messages_due_idx" ON "interaction"."outbound_messages" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "outbound_messages_customer_idx" ON "interaction"."outbound_messages" USING btree ("customer_id","created_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "outbound_messages_interaction_idx" ON "interaction"."outbound_messages" USING btree ("interaction_id");--> statement-breakpoint
CREATE INDEX "outbound_messages_provider_idx" ON "interaction"."outbound_messages" USING btree ("channel","provider_message_id");--> statement-breakpoint
CREATE INDEX "feedback_customer_idx" ON "interaction"."feedback" USING btree ("customer_id","submitted_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "feedback_public_idx" ON "interaction"."feedback" USING btree ("decided_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "interaction"."feedback"."status" = 'APPROVED';--> statement-breakpoint
CREATE UNIQUE INDEX "text_analyses_subject_key" ON "interaction"."text_analyses" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "text_analyses_customer_idx" ON "interaction"."text_analyses" USING btree ("customer_id","analysed_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "follow_up_tasks_queue_idx" ON "interaction"."follow_up_tasks" USING btree ("status","due_at","id") WHERE "interaction"."follow_up_tasks"."assignee" is null;--> statement-breakpoint
CREATE INDEX "follow_up_tasks_assignee_idx" ON "interaction"."follow_up_tasks" USING btree ("assignee","status","due_at","id");--> statement-breakpoint
CREATE INDEX "interactions_customer_idx" ON "interaction"."interactions" USING btree ("customer_id","occurred_at" DESC NULLS LAST,"id" DESC NULLS LAST);