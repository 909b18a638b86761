CREATE TABLE `chunks` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`doc_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`section` integer NOT NULL,
	`heading` text,
	`page` integer,
	`char_start` integer NOT NULL,
	`char_end` integer NOT NULL,
	`tokens` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `chunks_owner_doc` ON `chunks` (`owner`,`doc_id`);--> statement-breakpoint
CREATE TABLE `documents` (
	`owner` text NOT NULL,
	`id` text NOT NULL,
	`collection` text NOT NULL,
	`parent_id` text,
	`title` text NOT NULL,
	`source` text NOT NULL,
	`media_type` text NOT NULL,
	`format` text NOT NULL,
	`date` integer,
	`meta` text NOT NULL,
	`chunk_count` integer NOT NULL,
	`state` text NOT NULL,
	`job_id` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `id`)
);
--> statement-breakpoint
CREATE INDEX `documents_owner_collection` ON `documents` (`owner`,`collection`);--> statement-breakpoint
CREATE INDEX `documents_state` ON `documents` (`state`);--> statement-breakpoint
CREATE TABLE `index_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `ingest_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`collection` text NOT NULL,
	`status` text NOT NULL,
	`documents` integer DEFAULT 0 NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
