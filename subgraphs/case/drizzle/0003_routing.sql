CREATE TABLE "case"."agents" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"capacity" integer NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	CONSTRAINT "agents_capacity_check" CHECK ("case"."agents"."capacity" between 1 and 500)
);
--> statement-breakpoint
CREATE TABLE "case"."known_tiers" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"tier" text,
	"as_of" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "case"."queue_members" (
	"queue_code" text NOT NULL,
	"agent_id" text NOT NULL,
	CONSTRAINT "queue_members_queue_code_agent_id_pk" PRIMARY KEY("queue_code","agent_id")
);
--> statement-breakpoint
CREATE TABLE "case"."queues" (
	"code" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"strategy" text NOT NULL,
	"last_assigned_agent" text
);
--> statement-breakpoint
CREATE TABLE "case"."routing_rules" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"position" integer NOT NULL,
	"queue_code" text NOT NULL,
	"category" text,
	"priority" text,
	"language" text,
	"tier" text
);
--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "language" text;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "customer_tier" text;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "queue_code" text;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "assignee" text;--> statement-breakpoint
ALTER TABLE "case"."cases" ADD COLUMN "assigned_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "case"."queue_members" ADD CONSTRAINT "queue_members_queue_code_queues_code_fk" FOREIGN KEY ("queue_code") REFERENCES "case"."queues"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case"."queue_members" ADD CONSTRAINT "queue_members_agent_id_agents_id_fk" FOREIGN KEY ("agent_id") REFERENCES "case"."agents"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "case"."routing_rules" ADD CONSTRAINT "routing_rules_queue_code_queues_code_fk" FOREIGN KEY ("queue_code") REFERENCES "case"."queues"("code") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "routing_rules_position_key" ON "case"."routing_rules" USING btree ("position");--> statement-breakpoint
CREATE INDEX "cases_assignee_idx" ON "case"."cases" USING btree ("assignee","status");--> statement-breakpoint
CREATE INDEX "cases_queue_idx" ON "case"."cases" USING btree ("queue_code","status");