CREATE TABLE "customer"."known_tiers" (
	"customer_id" uuid PRIMARY KEY NOT NULL,
	"tier" text,
	"as_of" timestamp with time zone NOT NULL
);
