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
CREATE INDEX "feedback_customer_idx" ON "interaction"."feedback" USING btree ("customer_id","submitted_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "feedback_public_idx" ON "interaction"."feedback" USING btree ("decided_at" DESC NULLS LAST,"id" DESC NULLS LAST) WHERE "interaction"."feedback"."status" = 'APPROVED';--> statement-breakpoint
CREATE UNIQUE INDEX "text_analyses_subject_key" ON "interaction"."text_analyses" USING btree ("subject_type","subject_id");--> statement-breakpoint
CREATE INDEX "text_analyses_customer_idx" ON "interaction"."text_analyses" USING btree ("customer_id","analysed_at" DESC NULLS LAST,"id" DESC NULLS LAST);