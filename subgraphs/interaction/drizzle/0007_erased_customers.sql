CREATE TABLE "interaction"."erased_customers" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"erasure_id" text NOT NULL,
	"erased_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Customers erased before this table existed: the erasures this subgraph completed, from its outbox.
INSERT INTO "interaction"."erased_customers" ("customer_id", "erasure_id", "erased_at")
SELECT DISTINCT ON ("customer_id") "customer_id", "aggregate_id", "occurred_at" FROM "interaction"."outbox"
WHERE "type" = 'cmp.interaction.CustomerErasureCompleted' AND "customer_id" IS NOT NULL
ORDER BY "customer_id", "occurred_at"
ON CONFLICT DO NOTHING;
