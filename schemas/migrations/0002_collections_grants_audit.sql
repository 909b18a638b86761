CREATE TABLE `access_log` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`owner` text NOT NULL,
	`at` integer NOT NULL,
	`entry` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `access_log_owner_at` ON `access_log` (`owner`,`at`);--> statement-breakpoint
CREATE TABLE `collections` (
	`owner` text NOT NULL,
	`id` text NOT NULL,
	`name_tag` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`owner`, `id`)
);
--> statement-breakpoint
CREATE UNIQUE INDEX `collections_owner_name` ON `collections` (`owner`,`name_tag`);--> statement-breakpoint
CREATE TABLE `grants` (
	`id` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`grantee` text NOT NULL,
	`collection_id` text,
	`doc_ids` text,
	`expires_at` integer,
	`created_at` integer NOT NULL,
	`owner_view` text NOT NULL,
	`grantee_view` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `grants_grantee` ON `grants` (`grantee`);--> statement-breakpoint
CREATE INDEX `grants_owner` ON `grants` (`owner`);