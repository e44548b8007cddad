-- Search text and name key are kept accent-folded (translate): a query folded the same way matches with a plain LIKE,
-- and Álvarez sorts with the A's. The filter index now carries the search text too.
DROP INDEX "customer"."customers_search_filters_idx";--> statement-breakpoint
ALTER TABLE "customer"."customers" drop column "search_text";--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "search_text" text GENERATED ALWAYS AS (translate(lower(coalesce(first_name, '') || ' ' || coalesce(middle_name, '') || ' ' || coalesce(last_name, '') || ' ' || coalesce(company_name, '') || ' ' || primary_email || ' ' || customer_number), 'áÁàÀâÂäÄãÃéÉèÈêÊëËíÍìÌîÎïÏóÓòÒôÔöÖõÕúÚùÙûÛüÜñÑçÇ', 'aaaaaaaaaaeeeeeeeeiiiiiiiioooooooooouuuuuuuunncc')) STORED NOT NULL;--> statement-breakpoint
ALTER TABLE "customer"."customers" drop column "sort_name";--> statement-breakpoint
ALTER TABLE "customer"."customers" ADD COLUMN "sort_name" text GENERATED ALWAYS AS (translate(lower(coalesce(company_name, coalesce(last_name, '') || ' ' || coalesce(first_name, ''))), 'áÁàÀâÂäÄãÃéÉèÈêÊëËíÍìÌîÎïÏóÓòÒôÔöÖõÕúÚùÙûÛüÜñÑçÇ', 'aaaaaaaaaaeeeeeeeeiiiiiiiioooooooooouuuuuuuunncc')) STORED NOT NULL;--> statement-breakpoint
-- Dropping the columns dropped the indexes over them: the same indexes again, over the folded text.
CREATE INDEX "customers_search_trgm_idx" ON "customer"."customers" USING gin ("search_text" gin_trgm_ops) WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_sort_name_idx" ON "customer"."customers" USING btree ("sort_name","id","type","segment","status","search_text") WHERE "customer"."customers"."deactivated_at" is null;--> statement-breakpoint
CREATE INDEX "customers_search_filters_idx" ON "customer"."customers" USING btree ("status","segment","type","sort_name","id","search_text") WHERE "customer"."customers"."deactivated_at" is null;
